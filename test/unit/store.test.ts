import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId, MAX_PAGE_BYTES } from '../../protocol';
import { GroupCommit } from '../../server/groupCommit';
import { MIGRATIONS } from '../../server/migrations';
import { Groups } from '../../server/groups';
import { Store, type StreamScope } from '../../server/store';
import { tempDir } from '../support/servers';

const AB = directConversationId('alice', 'bob');

describe('store', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  function open() {
    const tmp = tempDir();
    dirs.push(tmp);
    const store = new Store(tmp.dir);
    for (const [id, username] of [
      ['alice', 'alice'],
      ['bob', 'bob'],
      ['carol', 'carol'],
    ] as const) {
      store.insertUser({ id, username, displayName: username, passwordHash: 'x' }, 1);
    }
    return { store, dir: tmp.dir };
  }
  /** A device of `userId` signed in now (its cursor at the current end of the log). */
  function device(store: Store, userId: string, deviceId: string, mirror = true): StreamScope {
    store.insertDevice({ deviceId, userId, name: deviceId }, Buffer.from(deviceId), 1);
    return { deviceId, userId, mirror };
  }
  const ids = (page: { rows: { id: string }[] }) => page.rows.map((r) => r.id);

  it('runs migrations once and uses WAL with synchronous=FULL', () => {
    const { store, dir } = open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
    const again = new Store(dir);
    expect(again.counts()).toEqual({ users: 3, messages: 0, undelivered: 0, devices: 0 });
    again.close();
  });

  it('refuses a database from a newer version', () => {
    const { store, dir } = open();
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    expect(() => new Store(dir)).toThrow(/newer than this server/);
  });

  it('stores (sender, id) once, in its conversation, and tells duplicates from conflicts', () => {
    const { store } = open();
    const m = { id: 'm1', to: 'bob', body: 'hi' };
    const first = store.storeMessage('alice', 'a1', m, 100);
    expect(first).toMatchObject({ kind: 'stored', ts: 100, conv: AB, seq: 1 });
    expect(store.storeMessage('alice', 'a1', m, 200)).toMatchObject({
      kind: 'duplicate',
      ts: 100,
      seq: 1,
      delivered: false,
    });
    expect(store.storeMessage('alice', 'a1', { ...m, body: 'other' }, 300)).toEqual({
      kind: 'conflict',
    });
    expect(store.storeMessage('alice', 'a1', { ...m, to: 'carol' }, 300)).toEqual({
      kind: 'conflict',
    });
    // Another sender may use the same id; bob's reply continues the same log.
    expect(store.storeMessage('carol', 'c1', m, 400)).toMatchObject({ seq: 1 });
    expect(
      store.storeMessage('bob', 'b1', { id: 'm1', to: 'alice', body: 'yo' }, 500),
    ).toMatchObject({ conv: AB, seq: 2 });
    // Bodies stay: the server holds the history.
    expect(
      store.history(AB, 'alice', undefined, 10, MAX_PAGE_BYTES).rows.map((r) => r.body),
    ).toEqual(['hi', 'yo']);
    store.close();
  });

  it('numbers a conversation without gaps, also when a write in the same batch fails', async () => {
    const { store } = open();
    const commit = new GroupCommit(store.db);
    const send = (id: string) => () =>
      store.storeMessage('alice', 'a1', { id, to: 'bob', body: id }, 1);
    const results = await Promise.allSettled([
      commit.run(send('x1')),
      commit.run(() => {
        send('x2')();
        throw new Error('fails after storing');
      }),
      commit.run(send('x3')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = store.history(AB, 'alice', undefined, 10, MAX_PAGE_BYTES).rows;
    expect(rows.map((r) => [r.id, r.seq])).toEqual([
      ['x1', 1],
      ['x3', 2],
    ]);
    store.close();
  });

  it("lets the recipient's devices confirm, and the sender's other devices only with protocol 2", () => {
    const { store } = open();
    const bob1 = device(store, 'bob', 'bob1');
    const alice2 = device(store, 'alice', 'alice2');
    const alice2v1 = { ...alice2, mirror: false };
    const mallory = device(store, 'carol', 'carol1');
    store.storeMessage('alice', 'alice1', { id: 'm1', to: 'bob', body: 'hi' }, 100);
    expect(store.confirm(mallory, 'alice', 'm1', 200)).toBeUndefined();
    expect(store.confirm(alice2v1, 'alice', 'm1', 200)).toBeUndefined();
    expect(store.confirm(alice2, 'alice', 'm1', 200)).toMatchObject({ byRecipient: false });
    expect(store.counts().undelivered).toBe(1);
    expect(store.confirm(bob1, 'alice', 'm1', 300)).toMatchObject({
      byRecipient: true,
      conv: AB,
      seq: 1,
      ts: 100,
    });
    expect(store.counts().undelivered).toBe(0);
    expect(
      store.storeMessage('alice', 'alice1', { id: 'm1', to: 'bob', body: 'hi' }, 400),
    ).toMatchObject({ kind: 'duplicate', delivered: true });
    store.close();
  });

  it('names who must receive a stored message, and reports only the first confirmation as first', () => {
    const { store } = open();
    const bob1 = device(store, 'bob', 'bob1');
    const bob2 = device(store, 'bob', 'bob2');
    const alice2 = device(store, 'alice', 'alice2');
    expect(store.storeMessage('alice', 'alice1', { id: 'm1', to: 'bob', body: 'hi' }, 100)).toEqual(
      {
        kind: 'stored',
        ts: 100,
        conv: AB,
        seq: 1,
        gseq: expect.any(Number),
        recipients: ['bob'],
      },
    );
    // The sender's own other device: allowed, never "delivered".
    expect(store.confirm(alice2, 'alice', 'm1', 150)).toMatchObject({ first: false });
    // The recipient's first device delivers it; the second and a repeat do not again.
    expect(store.confirm(bob1, 'alice', 'm1', 200)).toMatchObject({ first: true });
    expect(store.confirm(bob2, 'alice', 'm1', 250)).toMatchObject({ first: false });
    expect(store.confirm(bob1, 'alice', 'm1', 300)).toMatchObject({ first: false });
    store.close();
  });

  it("counts a group message delivered per member (first device only); other members' devices may confirm what they saw", () => {
    const { store } = open();
    const groups = new Groups(store.db, store);
    const alice1 = device(store, 'alice', 'alice1');
    const bob1 = device(store, 'bob', 'bob1');
    const bob2 = device(store, 'bob', 'bob2');
    const bob2v1 = { ...bob2, mirror: false };
    const carol1 = device(store, 'carol', 'carol1');
    const created = groups.create('alice', 'alice1', 'team', ['bob'], 10);
    if (!('conv' in created)) throw new Error('group not created');
    const stored = store.storeMessage(
      'alice',
      'alice1',
      { id: 'g1', to: created.conv, body: 'hi' },
      100,
    );
    expect(stored).toMatchObject({ kind: 'stored', recipients: ['bob'] }); // everyone but the sender
    // Carol was never a member: she may not confirm it.
    expect(store.confirm(carol1, 'alice', 'g1', 150)).toBeUndefined();
    // A protocol-1 device of a member cannot confirm group messages.
    expect(store.confirm(bob2v1, 'alice', 'g1', 150)).toBeUndefined();
    // Bob's first device: delivered to Bob (first); his second device: allowed, not first.
    expect(store.confirm(bob1, 'alice', 'g1', 200)).toMatchObject({
      byRecipient: true,
      first: true,
    });
    expect(store.confirm(bob2, 'alice', 'g1', 250)).toMatchObject({
      byRecipient: true,
      first: false,
    });
    // The sender's own device confirms without delivering anything.
    expect(store.confirm(alice1, 'alice', 'g1', 300)).toMatchObject({
      byRecipient: false,
      first: false,
    });
    // Bob's own message, confirmed by Alice's device (a member who saw that seq).
    store.storeMessage('bob', 'bob1', { id: 'g2', to: created.conv, body: 'yo' }, 400);
    expect(store.confirm(alice1, 'bob', 'g2', 500)).toMatchObject({
      byRecipient: true,
      first: true,
    });
    store.close();
  });

  it("pages each device's stream from its cursor, and moves the cursor over what it confirmed", () => {
    const { store } = open();
    const alice1 = device(store, 'alice', 'alice1');
    const alice2 = device(store, 'alice', 'alice2');
    const bob1 = device(store, 'bob', 'bob1');
    const bobV1 = device(store, 'bob', 'bob2', false);
    for (let i = 0; i < 5; i++) {
      store.storeMessage('alice', 'alice1', { id: `a${i}`, to: 'bob', body: `${i}` }, 10 + i);
    }
    store.storeMessage('carol', 'carol1', { id: 'c0', to: 'alice', body: 'hey' }, 20);
    // The sending device does not get its own messages back; the other device does.
    expect(ids(store.streamPage(alice1, 0, 10, MAX_PAGE_BYTES))).toEqual(['c0']);
    expect(ids(store.streamPage(alice2, 0, 10, MAX_PAGE_BYTES))).toEqual([
      'a0',
      'a1',
      'a2',
      'a3',
      'a4',
      'c0',
    ]);
    // Pages by count, continuing after the last row.
    const first = store.streamPage(bob1, 0, 2, MAX_PAGE_BYTES);
    expect([ids(first), first.more]).toEqual([['a0', 'a1'], true]);
    const second = store.streamPage(bob1, first.lastGseq, 10, MAX_PAGE_BYTES);
    expect([ids(second), second.more]).toEqual([['a2', 'a3', 'a4'], false]);
    // Confirmed out of order: the cursor stops before the first gap.
    store.confirm(bob1, 'alice', 'a0', 1);
    store.confirm(bob1, 'alice', 'a1', 1);
    store.confirm(bob1, 'alice', 'a3', 1);
    const gseqOf = (id: string) =>
      store.db.prepare('SELECT gseq FROM messages WHERE id = ?').pluck().get(id) as number;
    expect(store.compact(bob1)).toBe(gseqOf('a1'));
    expect(ids(store.streamPage(bob1, 0, 10, MAX_PAGE_BYTES))).toEqual(['a2', 'a4']);
    store.confirm(bob1, 'alice', 'a2', 1);
    store.confirm(bob1, 'alice', 'a4', 1);
    // Past everything it confirmed, and past messages not in its stream (carol → alice).
    expect(store.compact(bob1)).toBe(gseqOf('c0'));
    expect(
      store.db.prepare('SELECT count(*) FROM device_acks WHERE device_id = ?').pluck().get('bob1'),
    ).toBe(0);
    expect(store.streamPage(bob1, 0, 10, MAX_PAGE_BYTES).rows).toEqual([]);
    // The other device of bob confirmed nothing: it still gets everything.
    expect(ids(store.streamPage(bobV1, 0, 10, MAX_PAGE_BYTES))).toHaveLength(5);
    store.close();
  });

  it("reads a device's stream through indexes: never a scan of everything stored since its cursor", () => {
    const { store } = open();
    const stmts = (store as unknown as { stmts: Record<string, { source: string }> }).stmts;
    for (const name of [
      'streamMirror',
      'streamDirect',
      'firstUnconfirmedMirror',
      'firstUnconfirmedDirect',
    ]) {
      const plan = (
        store.db
          .prepare(`EXPLAIN QUERY PLAN ${stmts[name]!.source}`)
          .all({ after: 0, user: 'alice', device: 'a1', limit: 10 }) as { detail: string }[]
      ).map((r) => r.detail);
      const reads = plan.filter((d) => /^(SCAN|SEARCH) m\b/.test(d));
      expect(reads.length, name).toBeGreaterThan(0);
      for (const read of reads) {
        // An index range of one person's messages, or one row by its gseq (the page's own rows).
        expect(read, `${name}: ${plan.join(' | ')}`).toMatch(
          /USING INDEX messages_(recipient|sender) \((recipient|sender)=\? AND gseq>\?\)|USING INTEGER PRIMARY KEY \(rowid=\?\)$/,
        );
      }
    }
  });

  it('bounds a page by bytes as well as by count, never below one message', () => {
    const { store } = open();
    const bob1 = device(store, 'bob', 'bob1');
    const big = 'x'.repeat(16_000);
    for (let i = 0; i < 10; i++) {
      store.storeMessage('alice', 'alice1', { id: `b${i}`, to: 'bob', body: big }, i);
    }
    const page = store.streamPage(bob1, 0, 500, 50_000);
    expect(page.rows).toHaveLength(3);
    expect(page.more).toBe(true);
    expect(store.streamPage(bob1, 0, 500, 10).rows).toHaveLength(1);
    expect(store.history(AB, 'alice', undefined, 100, 50_000).rows.map((r) => r.id)).toEqual([
      'b7',
      'b8',
      'b9',
    ]);
    store.close();
  });

  it('gives a newly signed-in device what no device of the person has confirmed, not older history', () => {
    const { store } = open();
    const bob1 = device(store, 'bob', 'bob1');
    store.storeMessage('alice', 'alice1', { id: 'seen', to: 'bob', body: '1' }, 1);
    store.storeMessage('alice', 'alice1', { id: 'waiting', to: 'bob', body: '2' }, 2);
    store.confirm(bob1, 'alice', 'seen', 3);
    const bob2 = device(store, 'bob', 'bob2');
    store.storeMessage('alice', 'alice1', { id: 'after', to: 'bob', body: '3' }, 4);
    expect(ids(store.streamPage(bob2, 0, 10, MAX_PAGE_BYTES))).toEqual(['waiting', 'after']);
    // Once bob1 confirms it, the old one is history for bob2 (history:R has it).
    store.confirm(bob1, 'alice', 'waiting', 5);
    expect(ids(store.streamPage(bob2, 0, 10, MAX_PAGE_BYTES))).toEqual(['after']);
    store.close();
  });

  it('keeps read positions per person, forward only, with unread counts', () => {
    const { store } = open();
    for (let i = 0; i < 4; i++)
      store.storeMessage('alice', 'a', { id: `r${i}`, to: 'bob', body: '.' }, i);
    store.storeMessage('bob', 'b', { id: 'r9', to: 'alice', body: '.' }, 9);
    expect(store.readState(AB, 'bob')).toEqual({ conv: AB, readSeq: 0, unread: 4, through: 5 });
    expect(store.markRead(AB, 'bob', 2, 10)).toMatchObject({ readSeq: 2, unread: 2 });
    expect(store.markRead(AB, 'bob', 1, 11)).toMatchObject({ readSeq: 2, unread: 2 });
    expect(store.markRead(AB, 'bob', 99, 12)).toMatchObject({ readSeq: 5, unread: 0 });
    expect(store.readState(AB, 'carol')).toBeUndefined();
    expect(store.conversationsOf('alice')).toEqual([
      {
        conv: AB,
        kind: 'direct',
        peer: 'bob',
        lastSeq: 5,
        readSeq: 0,
        unread: 1,
        through: 5,
        lastTs: 9,
      },
    ]);
    store.close();
  });

  it('deletes expired messages oldest first, in batches, stopping at the first young one', () => {
    const { store } = open();
    for (let i = 0; i < 7; i++)
      store.storeMessage('alice', 'a', { id: `e${i}`, to: 'bob', body: '.' }, i * 10);
    expect(store.deleteExpired(45, 3)).toEqual({ deleted: 3, more: true });
    expect(store.deleteExpired(45, 3)).toEqual({ deleted: 2, more: false });
    expect(store.deleteExpired(45, 3)).toEqual({ deleted: 0, more: false });
    expect(store.history(AB, 'alice', undefined, 10, MAX_PAGE_BYTES).rows.map((r) => r.id)).toEqual(
      ['e5', 'e6'],
    );
    store.close();
  });

  it('group commit: one transaction per tick, each operation isolated', async () => {
    const { store, dir } = open();
    const commit = new GroupCommit(store.db);
    const results = await Promise.allSettled([
      commit.run(() => store.storeMessage('alice', 'd', { id: '1', to: 'bob', body: 'x' }, 1)),
      commit.run(() => {
        store.storeMessage('alice', 'd', { id: '2', to: 'bob', body: 'x' }, 1);
        throw new Error('this one fails');
      }),
      commit.run(() => store.storeMessage('alice', 'd', { id: '3', to: 'bob', body: 'x' }, 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commit.commits).toBe(1);
    // Visible to another connection: committed, and message 2 rolled back alone.
    const reader = new Database(path.join(dir, 'tickline.sqlite3'), { readonly: true });
    expect(reader.prepare('SELECT id FROM messages ORDER BY id').all()).toEqual([
      { id: '1' },
      { id: '3' },
    ]);
    reader.close();
    await commit.run(() => store.storeMessage('alice', 'd', { id: '4', to: 'bob', body: 'x' }, 1));
    expect(commit.commits).toBe(2);
    store.close();
  });
});
