import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DexieBackend, DexieStorage } from '../../client/dexieStorage';
import { LogCache } from '../../client/logCache';
import { MemoryBackend, MemoryStorage } from '../../client/memoryStorage';
import { positionOf } from '../../client/order';
import { messageKey, type ServerEntry, type StoredMessage } from '../../client/storage';
import { directConversationId } from '../../protocol';
import { FaultyBackend } from '../support/faultyBackend';

const IMPLEMENTATIONS = {
  DexieStorage: () => new DexieStorage('t', { indexedDB: new IDBFactory(), IDBKeyRange }),
  MemoryStorage: () => new MemoryStorage(),
};

const ME = 'me';
const BOB = directConversationId(ME, 'bob');

/** An entry of the me–bob log as the server sends it. */
function entry(from: string, id: string, seq: number, ts = 1_000 + seq): ServerEntry {
  return { id, from, to: from === ME ? 'bob' : ME, body: id, ts, seq, conv: BOB };
}

/** A message written on this device, not yet sequenced. */
function outgoing(id: string, afterSeq: number, composedAt: number): StoredMessage {
  return {
    key: messageKey(ME, id),
    id,
    from: ME,
    to: 'bob',
    conv: BOB,
    peer: 'bob',
    direction: 'out',
    body: id,
    ...positionOf(undefined, afterSeq, composedAt),
    status: 'pending',
    deadline: composedAt + 1_000,
    outbox: true,
    composedAt,
  };
}

const order = async (s: { history: MemoryStorage['history'] }) =>
  (await s.history(BOB, { limit: 100 })).map((m) => m.id).reverse();

describe.each(Object.entries(IMPLEMENTATIONS))('%s', (_name, storage) => {
  it('keeps each message once, however often and however it arrives', async () => {
    const s = storage();
    const m = entry('bob', 'x', 1);
    expect((await s.addFromServer(ME, [m, m])).fresh).toHaveLength(1);
    expect(await s.addFromServer(ME, [m])).toEqual({ fresh: [], changed: [], gap: false });
    expect(await s.history(BOB, { limit: 10 })).toHaveLength(1);
    const [conv] = await s.conversations();
    expect(conv).toMatchObject({ conv: BOB, peer: 'bob', unread: 1, lastSeq: 1 });
    s.close();
  });

  it('moves a message to the place the server gives it anew (deleted by retention, then retransmitted)', async () => {
    const s = storage();
    // x was at seq 5; the server no longer had it (retention, a restored
    // backup), y took seq 5, and x, retransmitted, was stored again at seq 6.
    await s.addFromServer(ME, [entry('bob', 'a', 4), entry('bob', 'x', 5, 2_000)]);
    await s.addFromServer(ME, [entry('bob', 'y', 5, 3_000)]);
    const moved = await s.addFromServer(ME, [entry('bob', 'x', 6, 3_001)]);
    expect(moved.fresh).toEqual([]);
    expect(moved.changed.map((m) => [m.id, m.seq, m.ts])).toEqual([['x', 6, 3_001]]);
    expect(await order(s)).toEqual(['a', 'y', 'x']);
    expect((await s.history(BOB, { limit: 10 })).filter((m) => m.id === 'x')).toHaveLength(1);
    expect(await s.conversation(BOB)).toMatchObject({ lastSeq: 6, unread: 3 });
    // The same place again changes nothing.
    expect(await s.addFromServer(ME, [entry('bob', 'x', 6, 3_001)])).toEqual({
      fresh: [],
      changed: [],
      gap: false,
    });
    s.close();
  });

  it('orders by seq whatever the timestamps say, and pages newest first', async () => {
    const s = storage();
    // Server times that disagree with the log order must not reorder it.
    await s.addFromServer(
      ME,
      Array.from({ length: 25 }, (_, i) => entry(i % 2 ? ME : 'bob', `m${i}`, i + 1, 9_000 - i)),
    );
    const first = await s.history(BOB, { limit: 10 });
    expect(first.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${24 - i}`));
    const last = first.at(-1)!;
    const second = await s.history(BOB, {
      limit: 10,
      before: { posA: last.posA, posB: last.posB, key: last.key },
    });
    expect(second[0]!.id).toBe('m14');
    expect(await s.history(directConversationId(ME, 'carol'), { limit: 10 })).toEqual([]);
    s.close();
  });

  it('shows a message being sent after the newest known one, then moves it to its seq', async () => {
    const s = storage();
    await s.addFromServer(ME, [entry('bob', 'q1', 1), entry(ME, 'a1', 2)]);
    await s.addOutgoing(outgoing('o1', 2, 50));
    await s.addOutgoing(outgoing('o2', 2, 40)); // written after o1, on a clock that went back
    expect(await order(s)).toEqual(['q1', 'a1', 'o2', 'o1']);
    // Meanwhile bob wrote; the server placed o1 after his message.
    await s.addFromServer(ME, [entry('bob', 'q2', 3)]);
    expect(await order(s)).toEqual(['q1', 'a1', 'o2', 'o1', 'q2']);
    const sent = await s.advance(messageKey(ME, 'o1'), 'sent', { ts: 7, seq: 4 });
    expect(sent).toMatchObject({ status: 'sent', seq: 4, posA: 4, posB: 0, ts: 7 });
    expect(await order(s)).toEqual(['q1', 'a1', 'o2', 'q2', 'o1']);
    expect((await s.conversation(BOB))?.lastKey).toBe(messageKey(ME, 'o1'));
    s.close();
  });

  it('advances outgoing status only forward, and records seq even when the status is final', async () => {
    const s = storage();
    await s.addOutgoing(outgoing('o1', 0, 5));
    const key = messageKey(ME, 'o1');
    expect((await s.advance(key, 'sent', { ts: 7 }))?.status).toBe('sent');
    expect(await s.advance(key, 'pending')).toBeUndefined();
    expect(await s.advance(key, 'failed')).toBeUndefined();
    expect((await s.advance(key, 'delivered'))?.ts).toBe(7);
    expect(await s.advance(key, 'stored')).toBeUndefined();
    // msg:A came last: its seq still counts.
    expect(await s.advance(key, 'sent', { seq: 3 })).toMatchObject({ status: 'delivered', seq: 3 });
    expect((await s.outgoingByStatus(['delivered'])).map((m) => m.id)).toEqual(['o1']);
    expect(await s.advance('nope', 'sent')).toBeUndefined();
    s.close();
  });

  it("gives the person's own history entries a status (sent unless stated; a note to self is delivered) and their receipt", async () => {
    const s = storage();
    const SELF = directConversationId(ME, ME);
    const { fresh } = await s.addFromServer(ME, [
      entry(ME, 'plain', 1),
      { ...entry(ME, 'counted', 2), receipt: { recipients: 1, delivered: 1, read: 0 } },
      { id: 'note', from: ME, to: ME, body: 'note', ts: 5, seq: 1, conv: SELF },
    ]);
    const byId = new Map(fresh.map((m) => [m.id, m]));
    expect(byId.get('plain')).toMatchObject({ direction: 'out', status: 'sent', peer: 'bob' });
    expect(byId.get('plain')!.receipt).toBeUndefined();
    expect(byId.get('counted')).toMatchObject({
      receipt: { recipients: 1, delivered: 1, read: 0 },
    });
    expect(byId.get('note')).toMatchObject({ direction: 'out', status: 'delivered', peer: ME });
    // Incoming messages have no status.
    const { fresh: incoming } = await s.addFromServer(ME, [entry('bob', 'in', 3)]);
    expect(incoming[0]!.status).toBeUndefined();
    s.close();
  });

  it('reports a gap when a pushed message skips seqs after what it knows, not before anything is known', async () => {
    const s = storage();
    expect((await s.addFromServer(ME, [entry('bob', 'b5', 5)])).gap).toBe(false);
    expect((await s.addFromServer(ME, [entry('bob', 'b6', 6)])).gap).toBe(false);
    expect((await s.addFromServer(ME, [entry('bob', 'b8', 8)])).gap).toBe(true);
    // A repeat of something known is no gap, nor is filling one.
    expect((await s.addFromServer(ME, [entry('bob', 'b8', 8)])).gap).toBe(false);
    expect((await s.addFromServer(ME, [entry('bob', 'b7', 7)])).gap).toBe(false);
    s.close();
  });

  it("keeps the person's messages from other devices as outgoing, with their status", async () => {
    const s = storage();
    const { fresh } = await s.addFromServer(ME, [
      { ...entry(ME, 'elsewhere', 1), state: 'stored' },
    ]);
    expect(fresh[0]).toMatchObject({ direction: 'out', status: 'stored', seq: 1 });
    expect(fresh[0]!.outbox).toBeUndefined();
    // Not this device's outbox: never retransmitted here.
    expect(await s.outgoingByStatus(['pending', 'sent', 'stored'])).toEqual([]);
    expect((await s.ownUnsettled(10)).map((m) => m.id)).toEqual(['elsewhere']);
    expect((await s.ownUnsettled(10, ['sent', 'stored'])).map((m) => m.id)).toEqual(['elsewhere']);
    const { changed } = await s.addFromServer(ME, [
      { ...entry(ME, 'elsewhere', 1), state: 'delivered' },
    ]);
    expect(changed[0]).toMatchObject({ status: 'delivered' });
    // Delivered: no longer asked about on the timer, still on reconnect (it may yet be read).
    expect(await s.ownUnsettled(10, ['sent', 'stored'])).toEqual([]);
    expect((await s.ownUnsettled(10)).map((m) => m.id)).toEqual(['elsewhere']);
    // Read by the other side: settled.
    const read = await s.applyReceipts(ME, {
      conv: BOB,
      updates: [
        {
          id: 'elsewhere',
          seq: 1,
          state: 'read',
          receipt: { recipients: 1, delivered: 1, read: 1 },
        },
      ],
    });
    expect(read[0]).toMatchObject({ status: 'read', receipt: { read: 1 } });
    expect(await s.ownUnsettled(10)).toEqual([]);
    expect((await s.conversation(BOB))?.unread).toBe(0);
    s.close();
  });

  it('a receipt places a message whose msg:A was lost: it moves to its seq', async () => {
    const s = storage();
    // Written after seq 1; meanwhile bob wrote seq 2 and 3; the server put mine at 4.
    await s.addFromServer(ME, [entry('bob', 'b1', 1)]);
    await s.addOutgoing(outgoing('mine', 1, 5_000));
    await s.addFromServer(ME, [entry('bob', 'b2', 2), entry('bob', 'b3', 3)]);
    expect(await order(s)).toEqual(['b1', 'mine', 'b2', 'b3']);
    // Its msg:A never came; a receipt did (the server pushes them after the commit).
    const [changed] = await s.applyReceipts(ME, {
      conv: BOB,
      updates: [
        {
          id: 'mine',
          seq: 4,
          state: 'delivered',
          receipt: { recipients: 1, delivered: 1, read: 0 },
        },
      ],
    });
    expect(changed).toMatchObject({ status: 'delivered', seq: 4 });
    expect(await order(s)).toEqual(['b1', 'b2', 'b3', 'mine']);
    expect((await s.conversation(BOB))?.lastSeq).toBe(4);
    s.close();
  });

  it('counts unread from the read position, with server snapshots and local reads', async () => {
    const s = storage();
    await s.ensureConversation(BOB, { peer: 'bob' }, 6, 0);
    // The server: read up to 2, four unread (3..6), two of them from me.
    await s.applyReadState({ conv: BOB, readSeq: 2, unread: 2, through: 6 });
    expect((await s.conversation(BOB))?.unread).toBe(2);
    // Messages up to `through` were counted by the server; later ones count here.
    await s.addFromServer(ME, [
      entry('bob', 'old', 5),
      entry('bob', 'new', 7),
      entry(ME, 'mine', 8),
    ]);
    expect((await s.conversation(BOB))?.unread).toBe(3);
    // Read here up to 7: only what came after stays unread.
    await s.addFromServer(ME, [entry('bob', 'newer', 9)]);
    const read = await s.markRead(BOB, 7);
    expect(read).toMatchObject({ readSeq: 7, unread: 1, readDirty: true });
    expect((await s.dirtyReads()).map((c) => c.conv)).toEqual([BOB]);
    await s.readSynced(BOB, 7);
    expect(await s.dirtyReads()).toEqual([]);
    // Read elsewhere up to 9 (pushed): nothing unread; an older snapshot changes nothing.
    await s.applyReadState({ conv: BOB, readSeq: 9, unread: 0, through: 9 });
    expect((await s.conversation(BOB))?.unread).toBe(0);
    await s.applyReadState({ conv: BOB, readSeq: 2, unread: 4, through: 6 });
    expect(await s.conversation(BOB)).toMatchObject({ readSeq: 9, unread: 0 });
    s.close();
  });

  it('merges a history entry without a body into a message it has, and drops unknown ones', async () => {
    const s = storage();
    const legacy = {
      ...outgoing('legacy', 0, 10),
      status: 'delivered' as const,
      posA: 0,
      posB: 10,
    };
    await s.addOutgoing(legacy);
    const { body: _drop, ...expired } = entry(ME, 'legacy', 4);
    const { body: _drop2, ...unknown } = entry('bob', 'gone', 3);
    const added = await s.addFromServer(ME, [expired, unknown]);
    expect(added.fresh).toEqual([]);
    expect(added.changed[0]).toMatchObject({ id: 'legacy', seq: 4, body: 'legacy' });
    await s.historyLoaded(BOB, 3, true);
    expect(await s.conversation(BOB)).toMatchObject({ historyBefore: 3, complete: true });
    s.close();
  });
});

describe.each(Object.entries(IMPLEMENTATIONS))('%s, concurrent writers', (_name, storage) => {
  it('applies concurrent calls one after the other: no update of a conversation is lost', async () => {
    const s = storage();
    await s.ensureConversation(BOB, { peer: 'bob' }, 0, 0);
    // Pages from catch-up and from history, and read positions, all at once.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        s.addFromServer(ME, [entry('bob', `c${i}`, 2 * i + 1), entry(ME, `m${i}`, 2 * i + 2)]),
      ),
      s.ensureConversation(BOB, { peer: 'bob' }, 40, 5),
      s.applyReadState({ conv: BOB, readSeq: 0, unread: 0, through: 0 }),
    ]);
    const row = await s.conversation(BOB);
    expect(row).toMatchObject({ lastSeq: 40, unread: 20, lastKey: `${ME}/m19` });
    s.close();
  });
});

describe.each(Object.entries(IMPLEMENTATIONS))('%s, confirmations owed', (_name, storage) => {
  it('records one pending ack per pushed message with the message, new or repeated, until settled', async () => {
    const s = storage();
    // Pulled and history entries are confirmed otherwise: nothing owed for them.
    await s.addFromServer(ME, [entry('bob', 'pulled', 1)]);
    expect(await s.pendingAcks()).toEqual([]);
    const pushed = await s.addFromServer(ME, [entry('bob', 'b2', 2)], { pendingAck: true });
    expect(pushed.fresh.map((m) => m.id)).toEqual(['b2']);
    // A repeat is stored once but owed again (every copy is acknowledged).
    await s.acksSettled([messageKey('bob', 'b2')]);
    const again = await s.addFromServer(ME, [entry('bob', 'b2', 2), entry('bob', 'pulled', 1)], {
      pendingAck: true,
    });
    expect(again.fresh).toEqual([]);
    const owed = (await s.pendingAcks()).sort((x, y) => x.key.localeCompare(y.key));
    expect(owed).toEqual([
      { key: messageKey('bob', 'b2'), from: 'bob', id: 'b2' },
      { key: messageKey('bob', 'pulled'), from: 'bob', id: 'pulled' },
    ]);
    await s.acksSettled([messageKey('bob', 'b2')]);
    await s.acksSettled([messageKey('bob', 'unknown')]);
    expect((await s.pendingAcks()).map((a) => a.id)).toEqual(['pulled']);
    expect((await s.history(BOB, { limit: 10 })).map((m) => m.id)).toEqual(['b2', 'pulled']);
    s.close();
  });
});

describe('DexieStorage, confirmations owed across a restart', () => {
  it('keeps them on disk until settled', async () => {
    const indexedDB = new IDBFactory();
    const first = new DexieStorage('restart', { indexedDB, IDBKeyRange });
    await first.addFromServer(ME, [entry('bob', 'b1', 1)], { pendingAck: true });
    first.close();
    const second = new DexieStorage('restart', { indexedDB, IDBKeyRange });
    expect(await second.pendingAcks()).toEqual([
      { key: messageKey('bob', 'b1'), from: 'bob', id: 'b1' },
    ]);
    await second.acksSettled([messageKey('bob', 'b1')]);
    second.close();
    const third = new DexieStorage('restart', { indexedDB, IDBKeyRange });
    expect(await third.pendingAcks()).toEqual([]);
    third.close();
  });
});

describe.each([
  ['memory', () => new MemoryBackend()],
  ['IndexedDB', () => new DexieBackend('faulty', { indexedDB: new IDBFactory(), IDBKeyRange })],
])('%s: a write that fails leaves nothing behind', (_name, backend) => {
  it('a push whose message cannot be written records no confirmation owed, and no unread', async () => {
    const faulty = new FaultyBackend(backend());
    const s = new LogCache(faulty);
    await s.addFromServer(ME, [entry('bob', 'a', 1)], { pendingAck: true });
    await s.acksSettled([messageKey('bob', 'a')]);
    faulty.failNext('putMessages');
    await expect(s.addFromServer(ME, [entry('bob', 'b', 2)], { pendingAck: true })).rejects.toThrow(
      /injected storage failure/,
    );
    // Had the owed confirmation stayed, a restart would send ack:R for a message not stored.
    expect(await s.pendingAcks()).toEqual([]);
    expect(await s.get(messageKey('bob', 'b'))).toBeUndefined();
    expect(await s.conversation(BOB)).toMatchObject({ lastSeq: 1, unread: 1 });
    // The same push again, once writes work: stored, owed, counted.
    await s.addFromServer(ME, [entry('bob', 'b', 2)], { pendingAck: true });
    expect((await s.pendingAcks()).map((a) => a.key)).toEqual([messageKey('bob', 'b')]);
    expect(await s.conversation(BOB)).toMatchObject({ lastSeq: 2, unread: 2 });
    s.close();
  });

  it('a read position that cannot be written stays where it was', async () => {
    const faulty = new FaultyBackend(backend());
    const s = new LogCache(faulty);
    await s.addFromServer(ME, [entry('bob', 'a', 1), entry('bob', 'b', 2)]);
    faulty.failNext('putConversation');
    await expect(s.markRead(BOB, 2)).rejects.toThrow(/injected storage failure/);
    expect(await s.conversation(BOB)).toMatchObject({ readSeq: 0, readDirty: false, unread: 2 });
    expect(await s.dirtyReads()).toEqual([]);
    s.close();
  });
});

describe('deleting a DexieStorage database (sign-out on a shared computer)', () => {
  it("removes that user's database, after the engine closed it; another user's stays", async () => {
    const indexedDB = new IDBFactory();
    const deps = { indexedDB, IDBKeyRange };
    const ann = new DexieStorage('tickline:https://h:7420:ann', deps);
    const bob = new DexieStorage('tickline:https://h:7420:bob', deps);
    await ann.addFromServer(ME, [entry('bob', 'secret', 1)]);
    await bob.addFromServer(ME, [entry('bob', 'kept', 1)]);
    ann.close(); // as chat.stop() does before the deletion

    await ann.deleteDatabase();

    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).toEqual(['tickline:https://h:7420:bob']);
    const reopened = new DexieStorage('tickline:https://h:7420:ann', deps);
    expect(await reopened.history(BOB, { limit: 10 })).toEqual([]);
    expect(await reopened.conversations()).toEqual([]);
    reopened.close();
    expect((await bob.history(BOB, { limit: 10 })).map((m) => m.id)).toEqual(['kept']);
    bob.close();
  });

  it('closes a database still open, then deletes it', async () => {
    const indexedDB = new IDBFactory();
    const open = new DexieStorage('t', { indexedDB, IDBKeyRange });
    await open.addFromServer(ME, [entry('bob', 'secret', 1)]);
    await open.deleteDatabase();
    expect(await indexedDB.databases()).toEqual([]);
  });
});
