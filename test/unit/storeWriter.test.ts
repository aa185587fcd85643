/**
 * The store writer: a real worker thread on a real SQLite file. Operations
 * run in the order submitted; `applied` comes before the promise settles
 * (after the commit); batches grow
 * while one commits; a failing operation fails alone; close() commits what
 * was submitted; a dead worker fails every write instead of hanging.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directConversationId, type MsgR } from '../../protocol';
import { Store } from '../../server/store';
import { StoreWriter } from '../../server/storeWriter';
import { calibrate } from '../support/calibrate';
import { tempDir } from '../support/servers';

/**
 * What takes time here is starting a writer: a worker thread that loads the
 * store's sources through tsx and opens the SQLite file (about 1 s on an
 * idle 2-core machine; the rest of a test takes milliseconds, but for the
 * 2,000 writes of one, about as long as a start). One start and close is
 * timed here: each start (every test's, in `beforeEach`) gets its timeout, a
 * test (at most one start more, or the 2,000 writes) three times that.
 */
const starts = await calibrate('one store writer start and close', async () => {
  const tmp = tempDir();
  try {
    const store = new Store(tmp.dir);
    const writer = await StoreWriter.start(store.dir);
    await writer.close();
    store.close();
  } finally {
    tmp.remove();
  }
});
const THREE_STARTS = { timeout: starts.timeout(3) };

describe('StoreWriter: the message path written by a worker thread', THREE_STARTS, () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let writer: StoreWriter;
  const conv = directConversationId('alice', 'bob');

  beforeEach(async () => {
    tmp = tempDir();
    store = new Store(tmp.dir);
    for (const id of ['alice', 'bob']) {
      store.insertUser({ id, username: id, displayName: id, passwordHash: 'x' }, 0);
    }
    writer = await StoreWriter.start(store.dir);
  }, starts.timeout(1));
  afterEach(async () => {
    await writer.close();
    store.close();
    tmp.remove();
  });

  const msg = (id: string, body = id): MsgR => ({ id, to: 'bob', body });
  /** Rows the main thread's own connection sees (committed ones only). */
  const visible = () => store.history(conv, 'alice', undefined, 100, 1 << 20).rows.map((r) => r.id);

  it('runs operations in submission order, as the next seqs; each hears applied before it resolves', async () => {
    const events: string[] = [];
    const runs = ['a', 'b', 'c'].map((id) =>
      writer
        .run('storeMessage', ['alice', 'd1', msg(id), 1_000], (r) => {
          events.push(`${id} applied as seq ${r.kind === 'stored' ? r.seq : '-'}`);
        })
        .then((r) => {
          events.push(`${id} committed`);
          return r;
        }),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => (r.kind === 'stored' ? r.seq : 0))).toEqual([1, 2, 3]);
    // (That applied is sent inside the transaction, before COMMIT: groupCommit.test.ts.)
    expect(events).toEqual([
      'a applied as seq 1',
      'b applied as seq 2',
      'c applied as seq 3',
      'a committed',
      'b committed',
      'c committed',
    ]);
    // Resolved: committed, the main connection sees them.
    expect(visible()).toEqual(['a', 'b', 'c']);
    // A retransmission is a duplicate with the original place.
    expect(await writer.run('storeMessage', ['alice', 'd1', msg('b'), 2_000])).toMatchObject({
      kind: 'duplicate',
      seq: 2,
      ts: 1_000,
    });
  });

  it('gathers what arrives while a batch commits into the next one (fewer commits than writes)', async () => {
    const n = 2_000;
    const before = writer.commits;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        writer.run('storeMessage', ['alice', 'd1', msg(`m${i}`), 1_000]),
      ),
    );
    const commits = writer.commits - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(n / 10);
    expect(store.counts().messages).toBe(n);
  });

  it('a failing operation fails alone, with its error; the rest commit', async () => {
    const good = writer.run('storeMessage', ['alice', 'd1', msg('ok'), 1_000]);
    // No such user: the members' foreign key refuses the direct conversation's first row.
    const bad = writer.run('storeMessage', [
      'alice',
      'd1',
      { id: 'x', to: 'nobody', body: 'x' },
      1,
    ]);
    const unknown = writer.run('nonsense' as never, [] as never);
    await expect(good).resolves.toMatchObject({ kind: 'stored', seq: 1 });
    await expect(bad).rejects.toThrow(/FOREIGN KEY/);
    await expect(unknown).rejects.toThrow(/unknown store operation/);
    expect(visible()).toEqual(['ok']);
  });

  it('barrier() settles after everything submitted before it has committed', async () => {
    void writer.run('storeMessage', ['alice', 'd1', msg('before'), 1_000]);
    await writer.barrier();
    expect(visible()).toEqual(['before']);
  });

  it('close() commits what was submitted, then refuses new writes', async () => {
    const last = writer.run('storeMessage', ['alice', 'd1', msg('last'), 1_000]);
    await writer.close();
    await expect(last).resolves.toMatchObject({ kind: 'stored' });
    expect(visible()).toEqual(['last']);
    await expect(writer.barrier()).rejects.toThrow(/closed/);
  });

  it('a worker that dies fails what was in flight and every later write, and says so once', async () => {
    const fatal: Error[] = [];
    const dying = await StoreWriter.start(store.dir, { onFatal: (e) => fatal.push(e) });
    const internals = dying as unknown as { worker: { terminate(): Promise<number> } };
    const pending = dying.run('storeMessage', ['alice', 'd1', msg('lost'), 1_000]);
    await internals.worker.terminate();
    await expect(pending).rejects.toThrow(/exited/);
    await expect(dying.barrier()).rejects.toThrow(/exited/);
    expect(fatal).toHaveLength(1);
    await dying.close();
  });
});
