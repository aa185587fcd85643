import type Database from 'better-sqlite3';

interface Pending {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: every write enqueued during one tick of the event loop runs
 * in a single SQLite transaction, and its promise settles only after that
 * transaction has committed (so an acknowledgement sent from `.then` is sent
 * after the data is durable). Each operation runs in its own savepoint, so a
 * failing one rolls back alone.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly runBatch: (batch: Pending[]) => unknown[];
  /** Number of transactions committed, for diagnostics and benchmarks. */
  commits = 0;

  constructor(db: Database.Database) {
    const one = db.transaction((op: () => unknown) => op());
    this.runBatch = db.transaction((batch: Pending[]) =>
      batch.map((p) => {
        try {
          return { ok: true, value: one(p.op) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** Runs `op` inside the next group transaction. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: unknown[];
    try {
      results = this.runBatch(batch);
      this.commits++;
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i] as { ok: boolean; value?: unknown; error?: unknown };
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }
}
