import type { ConnectionState } from '../../../client/imClient';
import type { ConnectionChange, ErrorEntry } from '../stores/diagnostics';
import type { AppInfo } from './appInfo';

/** Everything a diagnostics report says (nothing secret: no token, password or message). */
export interface ReportInput {
  /** When the report was made. */
  now: number;
  app: AppInfo;
  server: { url: string | null; mode?: 'host' | 'connect'; state: ConnectionState };
  /** Oldest first, as the diagnostics store keeps them. */
  errors: readonly ErrorEntry[];
  /** Oldest first, as the diagnostics store keeps them. */
  connections: readonly ConnectionChange[];
}

const iso = (ts: number) => new Date(ts).toISOString();

/**
 * The plain-text report that Settings → Diagnostics copies: versions, the
 * server and its connection, recent errors and connection changes (newest
 * first, UTC times). In English whatever the app's language, so that
 * whoever reads a bug report can read it.
 */
export function diagnosticsReport(input: ReportInput): string {
  const { app, server } = input;
  const errors = [...input.errors].reverse();
  const changes = [...input.connections].reverse();
  return [
    `Tickline diagnostics, ${iso(input.now)}`,
    '',
    'Versions',
    `  App: ${app.appVersion}`,
    `  Protocol: ${app.protocolVersion}`,
    `  Runs in: ${app.runtime === 'desktop' ? 'desktop app' : 'web browser'}`,
    `  User agent: ${app.userAgent}`,
    '',
    'Server',
    `  URL: ${server.url ?? '(not chosen)'}`,
    ...(server.mode ? [`  Mode: ${server.mode === 'host' ? 'hosted here' : 'connected to'}`] : []),
    `  Connection: ${server.state}`,
    '',
    `Recent errors (${errors.length}, newest first)`,
    ...(errors.length === 0
      ? ['  No errors recorded.']
      : errors.map(
          (e) =>
            `  ${iso(e.at)}  [${e.source}]  ${e.message}${e.count > 1 ? ` (×${e.count})` : ''}`,
        )),
    '',
    `Connection history (${changes.length}, newest first)`,
    ...(changes.length === 0
      ? ['  No changes recorded.']
      : changes.map((c) => `  ${iso(c.at)}  ${c.state}`)),
    '',
  ].join('\n');
}
