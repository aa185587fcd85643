import type { Session } from '../protocol';

/** The body of every benchmark message: a typical short chat line of about 100 bytes. */
export const BODY =
  'The quick brown fox jumps over the lazy dog; a typical short chat line of about 100 bytes.';

/** Which server a load worker drives. */
export type Target = 'tickline' | 'shape' | 'relay';

/** A sender and its recipient. */
export interface Pair {
  a: Session;
  b: Session;
}

/** What the raw load client runs: pairs of sockets, each sender keeping `inFlight` messages open. */
export interface RawLoad {
  target: Target;
  url: string;
  pairs: Pair[];
  inFlight: number;
  /** Messages answered in the first `warmupMs` are not counted. */
  warmupMs: number;
  durationMs: number;
  /** Makes message ids unique across runs against the same server. */
  runId: string;
}

/** What the raw load client measured (latencies in ms, only inside the window). */
export interface RawResult {
  /** ack:N (relay: ack) received inside the window. */
  delivered: number;
  /** ack:N received in all, warm-up and drain included. */
  total: number;
  /** send → ack:N (relay: send → ack). */
  ackLatencies: number[];
  /** send → msg:A; empty for the relay, which has no msg:A. */
  storeLatencies: number[];
  /** msg:A or ack:A answers with ok:false. */
  errors: number;
  /** ack:N with offline:true (the recipient had no connection). */
  offline: number;
  /** Messages still unanswered when the client gave up waiting after the window. */
  unanswered: number;
}

/** Commands the orchestrator sends to a load worker. */
export type WorkerCommand =
  | {
      /** Tickline's own engine (ImClient) on both sides. */
      cmd: 'pairs';
      url: string;
      pairs: Pair[];
      inFlight: number;
      durationMs: number;
      check: boolean;
    }
  | ({ cmd: 'raw' } & RawLoad)
  /** Start the raw load: every worker has connected (it said `ready`). */
  | { cmd: 'go' }
  | { cmd: 'idle'; target: Target; url: string; sessions: Session[] }
  | { cmd: 'drain'; url: string; session: Session }
  | { cmd: 'exit' };

/** Results a load worker sends back. */
export type WorkerResult =
  | {
      kind: 'pairs';
      delivered: number;
      latencies: number[];
      lost: number;
      duplicated: number;
      undelivered: number;
    }
  | ({ kind: 'raw' } & RawResult)
  /** The raw load's sockets are connected; it waits for `go`. */
  | { kind: 'ready' }
  | { kind: 'idle'; connected: number }
  | { kind: 'drain'; ms: number; received: number }
  | { kind: 'error'; message: string };
