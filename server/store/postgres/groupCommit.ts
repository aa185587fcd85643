import type pg from 'pg';
import type { Settle } from '../../groupCommit';

/** One write of a batch: statements on the batch's connection, inside its transaction. */
export type PgOperation<T> = (client: pg.PoolClient) => Promise<T>;

interface Pending {
  op: PgOperation<unknown>;
  settle: Settle<unknown>;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** An operation of a batch run without savepoints failed: run the batch again with them. */
const RERUN = Symbol('rerun');

/**
 * Group commit on PostgreSQL, the same contract as SQLite's `GroupCommit`:
 * the writes queued while the previous batch committed run in one
 * transaction on one connection, in the order they were queued; each
 * hears `applied` once the whole batch has run (still uncommitted) and
 * `done` only after COMMIT, so an acknowledgement sent from `done` follows
 * durability. A failing write rolls back alone: the batch first runs
 * without savepoints (a round trip each is saved), and only when a write
 * fails is it rolled back and run again with one savepoint per write
 * (writes are functions of the connection and their arguments, so the
 * second run decides what the first would have). A batch that cannot
 * commit (the connection or the database gone) fails every write in it,
 * and nothing of it is stored. One batch is in flight at a time per node;
 * log positions are taken inside it (streamPositions.ts), so the
 * `stream_head` lock is held once per batch, not once per message.
 */
export class PgGroupCommit {
  private queue: Pending[] = [];
  private draining = false;
  /** Transactions committed, for diagnostics and benchmarks. */
  commits = 0;
  /** Batches run a second time, with savepoints, because a write failed. */
  reruns = 0;

  constructor(
    private readonly pool: pg.Pool,
    /** The most writes in one transaction. */
    private readonly maxBatch = 512,
  ) {}

  /** Queues `op` for the next batch; resolves after its batch commits. */
  run<T>(op: PgOperation<T>, applied?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        op,
        settle: { applied, done: resolve, failed: reject } as Settle<unknown>,
      });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Writes waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs batches back to back while writes are queued. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.runBatch(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      for (const p of batch) p.settle.failed(error);
      return;
    }
    let broken = false;
    try {
      let outcomes = await this.attempt(client, batch, false);
      if (outcomes === RERUN) {
        this.reruns++;
        outcomes = (await this.attempt(client, batch, true)) as Outcome[];
      }
      const ran = outcomes;
      batch.forEach((p, i) => {
        const o = ran[i]!;
        if (o.ok) p.settle.applied?.(o.value);
      });
      await client.query('COMMIT');
      this.commits++;
      batch.forEach((p, i) => {
        const o = ran[i]!;
        if (o.ok) p.settle.done(o.value);
        else p.settle.failed(o.error);
      });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      for (const p of batch) p.settle.failed(error);
    } finally {
      client.release(broken);
    }
  }

  /** Runs `batch` in a new transaction; {@link RERUN} when a write failed without savepoints. */
  private async attempt(
    client: pg.PoolClient,
    batch: Pending[],
    savepoints: boolean,
  ): Promise<Outcome[] | typeof RERUN> {
    await client.query('BEGIN');
    const outcomes: Outcome[] = [];
    for (const p of batch) {
      if (!savepoints) {
        try {
          outcomes.push({ ok: true, value: await p.op(client) });
        } catch {
          await client.query('ROLLBACK');
          return RERUN;
        }
        continue;
      }
      await client.query('SAVEPOINT write');
      try {
        const value = await p.op(client);
        await client.query('RELEASE SAVEPOINT write');
        outcomes.push({ ok: true, value });
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT write');
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }
}
