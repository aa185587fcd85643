import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../server/groupCommit';
import { tempDir } from '../support/servers';

describe('GroupCommit: one transaction per tick, promises settle after the commit', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Database.Database;
  let commit: GroupCommit;
  const file = () => `${tmp.dir}/t.db`;

  beforeEach(() => {
    tmp = tempDir();
    db = new Database(file());
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    commit = new GroupCommit(db);
  });
  afterEach(() => {
    db.close();
    tmp.remove();
  });

  const insert = (k: string, v: number) => () =>
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).changes;
  /** What another connection sees: only committed rows. */
  const committed = () => {
    const other = new Database(file(), { readonly: true });
    try {
      return other.prepare('SELECT k FROM t ORDER BY k').all() as { k: string }[];
    } finally {
      other.close();
    }
  };

  it('runs everything queued in one tick in a single transaction, resolving with each value', async () => {
    const results = await Promise.all([commit.run(insert('a', 1)), commit.run(insert('b', 2))]);
    expect(results).toEqual([1, 1]);
    expect(commit.commits).toBe(1);
    expect(committed()).toEqual([{ k: 'a' }, { k: 'b' }]);
  });

  it('settles a promise only once its write is visible to another connection', async () => {
    const seen = await commit.run(insert('a', 1)).then(() => committed());
    expect(seen).toEqual([{ k: 'a' }]);
  });

  it('rolls back a failing operation alone; the others commit', async () => {
    const a = commit.run(insert('a', 1));
    const bad = commit.run(() => {
      db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('x', 1);
      throw new Error('boom');
    });
    const dup = commit.run(insert('a', 9));
    const c = commit.run(insert('c', 3));
    await expect(a).resolves.toBe(1);
    await expect(bad).rejects.toThrow('boom');
    await expect(dup).rejects.toThrow(/UNIQUE/);
    await expect(c).resolves.toBe(1);
    expect(committed()).toEqual([{ k: 'a' }, { k: 'c' }]);
    expect(commit.commits).toBe(1);
  });

  it('runs a batch without failures once, with no savepoints; one failure runs it again, each write in its own', async () => {
    const calls: string[] = [];
    const counted = (k: string, v: number) => () => {
      calls.push(k);
      return insert(k, v)();
    };
    await Promise.all([commit.run(counted('a', 1)), commit.run(counted('b', 2))]);
    expect(calls).toEqual(['a', 'b']);
    expect(commit.reruns).toBe(0);

    calls.length = 0;
    const c = commit.run(counted('c', 3));
    const bad = commit.run(() => {
      calls.push('bad');
      db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('half', 0);
      throw new Error('boom');
    });
    const d = commit.run(counted('d', 4));
    await expect(bad).rejects.toThrow('boom');
    await expect(Promise.all([c, d])).resolves.toEqual([1, 1]);
    // First run stopped at the failure and rolled back; the second decided each.
    expect(calls).toEqual(['c', 'bad', 'c', 'bad', 'd']);
    expect(commit.reruns).toBe(1);
    expect(commit.commits).toBe(2);
    expect(committed()).toEqual([{ k: 'a' }, { k: 'b' }, { k: 'c' }, { k: 'd' }]);
  });

  it('rejects each write that finds the database locked, and works again once it is free', async () => {
    const lock = new Database(file());
    lock.exec('BEGIN IMMEDIATE');
    lock.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('held', 0);
    db.pragma('busy_timeout = 0');
    const a = commit.run(insert('a', 1));
    const b = commit.run(insert('b', 2));
    await expect(a).rejects.toThrow(/locked|busy/i);
    await expect(b).rejects.toThrow(/locked|busy/i);
    lock.exec('ROLLBACK');
    lock.close();
    await expect(commit.run(insert('a', 1))).resolves.toBe(1);
    expect(committed()).toEqual([{ k: 'a' }]);
  });

  it('rejects the whole batch when the transaction cannot run at all', async () => {
    const a = commit.run(insert('a', 1));
    const b = commit.run(insert('b', 2));
    db.close();
    await expect(a).rejects.toThrow(/not open/);
    await expect(b).rejects.toThrow(/not open/);
    expect(commit.commits).toBe(0);
  });

  it('starts a new transaction for writes queued after a flush', async () => {
    await commit.run(insert('a', 1));
    await commit.run(insert('b', 2));
    expect(commit.commits).toBe(2);
  });

  it('flush() commits what is queued now, synchronously; an empty flush commits nothing', () => {
    let done = false;
    void commit.run(insert('a', 1)).then(() => (done = true));
    commit.flush();
    expect(committed()).toEqual([{ k: 'a' }]);
    expect(commit.commits).toBe(1);
    commit.flush();
    expect(commit.commits).toBe(1);
    expect(done).toBe(false); // promise callbacks run later, the data is already durable
  });

  it('tells each operation it was applied inside the transaction, before the commit; then settles it', async () => {
    const seen: string[] = [];
    const hooked = new GroupCommit(db, () =>
      seen.push(`batch applied, committed rows: ${committed().length}`),
    );
    const a = hooked.run(insert('a', 1), (v) =>
      seen.push(`a applied ${v}, committed rows: ${committed().length}`),
    );
    const bad = hooked.run(
      () => {
        throw new Error('boom');
      },
      () => seen.push('bad applied'),
    );
    const b = hooked.run(insert('b', 2), () => seen.push('b applied'));
    await expect(a).resolves.toBe(1);
    await expect(bad).rejects.toThrow('boom');
    await expect(b).resolves.toBe(1);
    expect(seen).toEqual([
      'a applied 1, committed rows: 0',
      'b applied',
      'batch applied, committed rows: 0',
    ]);
    expect(committed()).toEqual([{ k: 'a' }, { k: 'b' }]);
  });

  it('a batch whose commit fails fails every operation, also those already told they were applied', async () => {
    const applied: string[] = [];
    const failing = new GroupCommit(db, () => {
      throw new Error('disk gone');
    });
    const a = failing.run(insert('a', 1), () => applied.push('a'));
    await expect(a).rejects.toThrow('disk gone');
    expect(applied).toEqual(['a']);
    expect(committed()).toEqual([]);
  });
});
