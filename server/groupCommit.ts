import type Database from 'better-sqlite3';

/** What becomes of one queued operation. */
export interface Settle<T> {
  /**
   * The operation ran inside the batch's transaction and returned `value`;
   * the transaction has not committed yet (it may still fail).
   */
  applied?: (value: T) => void;
  /** The transaction holding it committed: `value` is durable. */
  done: (value: T) => void;
  /** It failed (alone, rolled back to its savepoint) or its batch did not commit. */
  failed: (error: unknown) => void;
}

interface Pending {
  op: () => unknown;
  settle: Settle<unknown>;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** An operation of a batch run without savepoints threw: the batch runs again with them. */
class OperationFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: every write queued until the next {@link flush} runs in a
 * single SQLite transaction (`BEGIN IMMEDIATE`). A failing operation rolls
 * back alone: the batch first runs without savepoints (two statements per
 * write, about 7% of the writer's time: `npm run bench:writer`), and only
 * when one operation throws is the whole transaction rolled back and the
 * batch run again, each operation in its own savepoint (operations are
 * plain functions of the database and their arguments, so the second run
 * decides what the first would have). Each operation hears
 * `applied` as soon as the whole batch has run, still inside the
 * transaction (`onBatchApplied` is called then too), and `done` only after
 * the commit, so an acknowledgement sent from `done` is sent after the data
 * is durable. {@link run} flushes on the next turn of the event loop; the
 * store writer's worker flushes itself, back to back, so that while one
 * batch commits the next one gathers (pipelined group commit).
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly runFast: (batch: Pending[]) => Outcome[];
  private readonly runSafe: (batch: Pending[]) => Outcome[];
  /** Number of transactions committed, for diagnostics and benchmarks. */
  commits = 0;
  /** Batches run a second time, with savepoints, because an operation failed. */
  reruns = 0;

  constructor(
    db: Database.Database,
    private readonly onBatchApplied: () => void = () => undefined,
  ) {
    const applied = (batch: Pending[], outcomes: Outcome[]) => {
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.settle.applied?.(o.value);
      });
      this.onBatchApplied();
      return outcomes;
    };
    this.runFast = db.transaction((batch: Pending[]): Outcome[] => {
      const outcomes = batch.map((p): Outcome => {
        try {
          return { ok: true, value: p.op() };
        } catch (error) {
          throw new OperationFailed(error);
        }
      });
      return applied(batch, outcomes);
    }).immediate;
    const one = db.transaction((op: () => unknown) => op());
    this.runSafe = db.transaction((batch: Pending[]): Outcome[] => {
      const outcomes = batch.map((p): Outcome => {
        try {
          return { ok: true, value: one(p.op) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      return applied(batch, outcomes);
    }).immediate;
  }

  /** Queues `op` for the next batch; `settle` hears how it ends. */
  enqueue<T>(op: () => T, settle: Settle<T>): void {
    this.queue.push({ op, settle: settle as Settle<unknown> });
  }

  /** Queues `op` and flushes on the next turn of the event loop; resolves after the commit. */
  run<T>(op: () => T, applied?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(op, { applied, done: resolve, failed: reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Operations waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs and commits whatever is queued now, synchronously. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      try {
        outcomes = this.runFast(batch);
      } catch (error) {
        if (!(error instanceof OperationFailed)) throw error;
        this.reruns++;
        outcomes = this.runSafe(batch);
      }
      this.commits++;
    } catch (error) {
      for (const p of batch) p.settle.failed(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.settle.done(o.value);
      else p.settle.failed(o.error);
    });
  }
}
