import type { WriteOpName } from './writerOps';

/** One operation as the main thread submits it: `n` names it in the answers. */
export interface SubmittedOp {
  n: number;
  op: WriteOpName;
  args: unknown[];
}

/** An error as it crosses to the main thread. */
export interface WireError {
  message: string;
  code?: string;
}

/** Main thread → worker. */
export type ToWriter = { t: 'ops'; ops: SubmittedOp[] } | { t: 'close' };

/** Worker → main thread, in this order for each batch: `applied`, then `settled`. */
export type FromWriter =
  | { t: 'ready' }
  /** The batch ran (not committed yet); `kill` only under the crash-test fault. */
  | { t: 'applied'; results: { n: number; value: unknown }[]; kill?: boolean }
  /** The batch committed (`done`) or some of it failed. */
  | { t: 'settled'; done: number[]; failed: { n: number; error: WireError }[]; commits: number }
  | { t: 'closed' }
  | { t: 'fatal'; error: WireError };

/** What the worker is started with. */
export interface WriterData {
  dataDir: string;
  /**
   * Crash tests only (`TICKLINE_FAULT_KILL_BEFORE_COMMIT`): a batch storing a
   * message whose body contains this text reports `applied` with `kill`,
   * then holds its commit, so that the process can be SIGKILLed after the
   * message was stored in the batch and before it is durable.
   */
  killBeforeCommit?: string;
}

/** `error` as plain data. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
  }
  return { message: String(error) };
}

/** A {@link WireError} as an `Error` again (with its SQLite `code`). */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: string };
  if (wire.code) error.code = wire.code;
  return error;
}
