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

/**
 * Group commit: every write queued until the next {@link flush} runs in a
 * single SQLite transaction (`BEGIN IMMEDIATE`), each operation in its own
 * savepoint so that a failing one rolls back alone. Each operation hears
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
  private readonly runBatch: (batch: Pending[]) => Outcome[];
  /** Number of transactions committed, for diagnostics and benchmarks. */
  commits = 0;

  constructor(
    db: Database.Database,
    private readonly onBatchApplied: () => void = () => undefined,
  ) {
    const one = db.transaction((op: () => unknown) => op());
    this.runBatch = db.transaction((batch: Pending[]): Outcome[] => {
      const outcomes = batch.map((p): Outcome => {
        try {
          return { ok: true, value: one(p.op) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.settle.applied?.(o.value);
      });
      this.onBatchApplied();
      return outcomes;
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
      outcomes = this.runBatch(batch);
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
