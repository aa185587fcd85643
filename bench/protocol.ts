import type { Session } from '../protocol';

/** Which server a load worker drives. */
export type Target = 'tickline' | 'relay';

/** A sender and its recipient. */
export interface Pair {
  a: Session;
  b: Session;
}

/** Commands the orchestrator sends to a load worker. */
export type WorkerCommand =
  | {
      cmd: 'pairs';
      target: Target;
      url: string;
      pairs: Pair[];
      inFlight: number;
      durationMs: number;
      check: boolean;
    }
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
  | { kind: 'idle'; connected: number }
  | { kind: 'drain'; ms: number; received: number }
  | { kind: 'error'; message: string };
