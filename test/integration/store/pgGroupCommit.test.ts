import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgGroupCommit } from '../../../server/store/postgres/groupCommit';
import { createPool } from '../../../server/store/postgres/pool';
import { startPostgres, type TestPostgres } from '../../support/postgres';

/**
 * Group commit on PostgreSQL keeps SQLite's contract: one transaction per
 * batch, `applied` before the commit and `done` after it, a failing write
 * rolled back alone, and a batch that cannot commit stores nothing.
 */
describe('group commit on PostgreSQL', () => {
  let postgres: TestPostgres;
  let pool: pg.Pool;
  let other: pg.Pool;

  beforeAll(async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase('group_commit');
    pool = createPool(url, 2);
    other = createPool(url, 1);
    await pool.query('CREATE TABLE t (x integer PRIMARY KEY)');
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await other?.end();
    await postgres?.stop();
  });

  const stored = async () =>
    (await other.query<{ x: number }>('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x);
  const insert = (x: number) => async (client: pg.PoolClient) => {
    await client.query('INSERT INTO t (x) VALUES ($1)', [x]);
    return x;
  };

  it('runs the writes queued together in one transaction: applied before the commit, done after', async () => {
    const commit = new PgGroupCommit(pool);
    const seen: string[] = [];
    const writes = [1, 2, 3].map((x) =>
      commit
        .run(insert(x), () => seen.push(`applied ${x} after ${commit.commits} commits`))
        .then(async (value) => {
          // Durable now: another connection sees it.
          seen.push(
            `done ${x} after ${commit.commits} commits, visible ${(await stored()).includes(x)}`,
          );
          return value;
        }),
    );
    expect(await Promise.all(writes)).toEqual([1, 2, 3]);
    expect(commit.commits).toBe(1);
    expect(seen.slice(0, 3)).toEqual([
      'applied 1 after 0 commits',
      'applied 2 after 0 commits',
      'applied 3 after 0 commits',
    ]);
    expect(seen.slice(3).sort()).toEqual([
      'done 1 after 1 commits, visible true',
      'done 2 after 1 commits, visible true',
      'done 3 after 1 commits, visible true',
    ]);
    expect(await stored()).toEqual([1, 2, 3]);
  });

  it('rolls a failing write back alone; the others of its batch are stored', async () => {
    const commit = new PgGroupCommit(pool);
    const results = await Promise.allSettled([
      commit.run(insert(10)),
      commit.run(async (client) => {
        await client.query('INSERT INTO t (x) VALUES (11)');
        await client.query('INSERT INTO t (x) VALUES (10)'); // a duplicate: fails
      }),
      commit.run(insert(12)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commit.reruns).toBe(1);
    const now = await stored();
    expect(now).toContain(10);
    expect(now).toContain(12);
    expect(now).not.toContain(11);
  });

  it('stores nothing of a batch whose connection dies before COMMIT, and fails every write in it', async () => {
    const commit = new PgGroupCommit(pool);
    const results = await Promise.allSettled([
      commit.run(insert(20)),
      commit.run(insert(21)),
      // The database ends this connection (as a restart or a network cut would).
      commit.run(async (client) => {
        await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const now = await stored();
    expect(now).not.toContain(20);
    expect(now).not.toContain(21);
    // The next batch gets a new connection and goes through.
    expect(await commit.run(insert(22))).toBe(22);
    expect(await stored()).toContain(22);
  });
});
