/**
 * What the embedded server's process does with the main process's messages:
 * start the im-server once, report `ready` or an `error` (`port_in_use` for
 * EADDRINUSE), and on `shutdown` close it (which flushes and closes the store)
 * and report `closed`. No Electron here: `serverProcess.ts` binds it to
 * `process.parentPort`, tests bind it to an in-memory channel.
 */
import { openSync } from 'node:fs';
import { createImServer, type ImServer } from '../server/index';
import { createLogger } from '../server/logger';
import { toServerSchema, type FromServer, type ToServer } from './serverMessages';

/** Where the worker posts its answers. */
export interface WorkerPort {
  post(message: FromServer): void;
}

/** Handles one message from the main process. */
export interface ServerWorker {
  handle(message: unknown): Promise<void>;
}

/** A worker answering on `port`; `overrides` change the server's options (tests). */
export function createServerWorker(
  port: WorkerPort,
  overrides: Partial<Parameters<typeof createImServer>[0]> = {},
): ServerWorker {
  let server: ImServer | undefined;
  let starting: Promise<void> | undefined;

  const start = async (message: Extract<ToServer, { type: 'start' }>) => {
    try {
      const logger = message.logFile
        ? createLogger('info', openSync(message.logFile, 'a'))
        : 'silent';
      server = await createImServer({
        host: message.host,
        port: message.port,
        dataDir: message.dataDir,
        corsOrigins: message.corsOrigins,
        registration: message.registration,
        tls: message.tls,
        ...(message.webRoot ? { webRoot: message.webRoot } : {}),
        ...(message.name ? { name: message.name } : {}),
        logger,
        ...overrides,
      });
      port.post({
        type: 'ready',
        port: server.port,
        ...(server.fingerprint ? { fingerprint: server.fingerprint } : {}),
        // The host's window shows it (and fills it in) for the owner's first account.
        ...(server.setupCode ? { setupCode: server.setupCode } : {}),
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code === 'EADDRINUSE' ? 'port_in_use' : 'internal';
      const text = error instanceof Error ? error.message : String(error);
      port.post({ type: 'error', code, message: text });
    }
  };

  return {
    async handle(raw) {
      const parsed = toServerSchema.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'start') {
        if (starting) return; // one server per process
        starting = start(message);
        await starting;
        return;
      }
      await starting;
      await server?.close();
      server = undefined;
      port.post({ type: 'closed' });
    },
  };
}
