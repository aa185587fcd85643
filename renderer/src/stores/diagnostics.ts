import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { ConnectionState } from '../../../client/imClient';
import { errorText, hideSecrets } from '../lib/errorText';

/** Most errors kept (the oldest go first). */
export const MAX_ERRORS = 100;
/** Most connection changes kept (the oldest go first). */
export const MAX_CONNECTION_CHANGES = 50;

/** One recorded error: when, where it came from, and what it said. */
export interface ErrorEntry {
  /** Unique in this window (a key for lists). */
  id: number;
  at: number;
  /** Which part failed: `engine`, `conversations`, `contacts`, `drafts`… (not translated). */
  source: string;
  message: string;
  /** How many times in a row it happened (`at` is the last time). */
  count: number;
}

/** One change of the connection state, and when it happened. */
export interface ConnectionChange {
  /** Unique in this window (a key for lists). */
  id: number;
  at: number;
  state: ConnectionState;
}

/**
 * What went wrong recently, for Settings → Diagnostics and bug reports: the
 * last {@link MAX_ERRORS} errors (a repeat of the last one counted, not added)
 * and {@link MAX_CONNECTION_CHANGES} connection changes (oldest first, in
 * memory only), each also written to the console. Session tokens are hidden
 * from every recorded text.
 */
export const useDiagnosticsStore = defineStore('diagnostics', () => {
  const errors = shallowRef<ErrorEntry[]>([]);
  const connections = shallowRef<ConnectionChange[]>([]);
  const secrets = new Set<string>();
  let lastId = 0;

  /** Never shows `secret` (a session token) in a recorded error or a report. */
  function hide(secret: string): void {
    if (secret) secrets.add(secret);
  }

  /** `text` with every secret given to {@link hide} hidden. */
  function scrub(text: string): string {
    return hideSecrets(text, secrets);
  }

  /** Records that `source` failed with `error` (and logs it with `console.error`). */
  function record(source: string, error: unknown): void {
    const message = errorText(error, secrets);
    const at = Date.now();
    const last = errors.value.at(-1);
    // A failure that repeats (a retried pull, a full disk) is one entry, counted.
    const kept =
      last?.source === source && last.message === message
        ? [...errors.value.slice(0, -1), { ...last, at, count: last.count + 1 }]
        : [...errors.value, { id: ++lastId, at, source, message, count: 1 }];
    errors.value = kept.slice(-MAX_ERRORS);
    const stack = error instanceof Error && error.stack ? [scrub(error.stack)] : [];
    console.error(`[tickline] ${source}: ${message}`, ...stack);
  }

  /** Records a connection state (a repeat of the last one is not a change). */
  function noteConnection(state: ConnectionState): void {
    if (connections.value.at(-1)?.state === state) return;
    connections.value = [...connections.value, { id: ++lastId, at: Date.now(), state }].slice(
      -MAX_CONNECTION_CHANGES,
    );
    console.info(`[tickline] connection: ${state}`);
  }

  return { errors, connections, hide, scrub, record, noteConnection };
});
