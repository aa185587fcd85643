import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DexieStorage } from '../../client/dexieStorage';
import { directConversationId } from '../../protocol';

/** Writes a local database exactly as version 1 of the client laid it out. */
async function writeV1(indexedDB: IDBFactory, name: string): Promise<void> {
  const db = new Dexie(name, { indexedDB, IDBKeyRange });
  db.version(1).stores({
    messages: 'key, [peer+sortTs+key], status',
    conversations: 'peer, lastSortTs',
    meta: 'name',
  });
  const msg = (from: string, to: string, id: string, sortTs: number, extra = {}) => ({
    key: `${from}/${id}`,
    id,
    from,
    to,
    peer: from === 'me' ? to : from,
    direction: from === 'me' ? 'out' : 'in',
    body: `body of ${id}`,
    sortTs,
    ts: sortTs,
    ...extra,
  });
  await db
    .table('messages')
    .bulkPut([
      msg('bob', 'me', 'b1', 100),
      msg('me', 'bob', 'm1', 200, { status: 'delivered' }),
      msg('bob', 'me', 'b2', 300),
      msg('bob', 'me', 'b3', 400),
      msg('me', 'bob', 'm2', 500, { status: 'failed', deadline: 600 }),
      msg('me', 'carol', 'm3', 700, { status: 'pending', deadline: 9_999_999_999_999 }),
    ]);
  await db.table('conversations').bulkPut([
    { peer: 'bob', lastKey: 'me/m2', lastSortTs: 500, unread: 2 },
    { peer: 'carol', lastKey: 'me/m3', lastSortTs: 700, unread: 0 },
  ]);
  await db.table('meta').put({ name: 'policy', value: { ackTimeoutMs: 5000, maxAttempts: 5 } });
  db.close();
}

describe('the local database of a v1 client', () => {
  it('opens as a cache of the logs with nothing the person saw missing', async () => {
    const indexedDB = new IDBFactory();
    await writeV1(indexedDB, 'old');
    const s = new DexieStorage('old', { indexedDB, IDBKeyRange });
    const withBob = directConversationId('me', 'bob');
    const withCarol = directConversationId('me', 'carol');

    // Same messages, same order, in the conversation they belong to.
    const history = (await s.history(withBob, { limit: 100 })).reverse();
    expect(history.map((m) => m.id)).toEqual(['b1', 'm1', 'b2', 'b3', 'm2']);
    expect(history.every((m) => m.conv === withBob && m.body === `body of ${m.id}`)).toBe(true);
    // The unread count and the failed message survive; the outbox is still an outbox.
    const conversations = await s.conversations();
    expect(conversations.map((c) => [c.conv, c.peer, c.unread, c.last?.id])).toEqual([
      [withCarol, 'carol', 0, 'm3'],
      [withBob, 'bob', 2, 'm2'],
    ]);
    expect((await s.outgoingByStatus(['failed'])).map((m) => m.id)).toEqual(['m2']);
    expect((await s.outgoingByStatus(['pending'])).map((m) => m.id)).toEqual(['m3']);
    expect(await s.getMeta('policy')).toEqual({ ackTimeoutMs: 5000, maxAttempts: 5 });

    // The server's log then tells each old message its place; order is unchanged.
    await s.addFromServer('me', [
      { id: 'b1', from: 'bob', to: 'me', conv: withBob, seq: 1, ts: 100 },
      { id: 'm1', from: 'me', to: 'bob', conv: withBob, seq: 2, ts: 200 },
      { id: 'b2', from: 'bob', to: 'me', conv: withBob, seq: 3, ts: 300, body: 'body of b2' },
      { id: 'b3', from: 'bob', to: 'me', conv: withBob, seq: 4, ts: 400, body: 'body of b3' },
    ]);
    const after = (await s.history(withBob, { limit: 100 })).reverse();
    expect(after.map((m) => [m.id, m.seq])).toEqual([
      ['b1', 1],
      ['m1', 2],
      ['b2', 3],
      ['b3', 4],
      ['m2', undefined],
    ]);
    // Unread carried over from v1 stays until the person reads the conversation.
    await s.applyReadState({ conv: withBob, readSeq: 4, unread: 0, through: 4 });
    expect((await s.conversation(withBob))?.unread).toBe(2);
    await s.markRead(withBob, 4);
    expect((await s.conversation(withBob))?.unread).toBe(0);
    s.close();
  });
});

describe('the local database of a version 3 client', () => {
  it('gains the store of confirmations owed (empty), with everything else kept', async () => {
    const indexedDB = new IDBFactory();
    const conv = directConversationId('me', 'bob');
    const v3 = new Dexie('v3', { indexedDB, IDBKeyRange });
    v3.version(3).stores({
      messages: 'key, [conv+posA+posB+key], status',
      convs: 'conv',
      meta: 'name',
    });
    await v3.table('messages').put({
      key: 'bob/b1',
      id: 'b1',
      from: 'bob',
      to: 'me',
      conv,
      peer: 'bob',
      direction: 'in',
      body: 'hello',
      seq: 1,
      ts: 1,
      posA: 1,
      posB: 0,
    });
    await v3.table('meta').put({ name: 'policy', value: { ackTimeoutMs: 5000, maxAttempts: 5 } });
    v3.close();

    const s = new DexieStorage('v3', { indexedDB, IDBKeyRange });
    expect(await s.pendingAcks()).toEqual([]);
    expect((await s.history(conv, { limit: 10 })).map((m) => m.body)).toEqual(['hello']);
    expect(await s.getMeta('policy')).toEqual({ ackTimeoutMs: 5000, maxAttempts: 5 });
    await s.addFromServer(
      'me',
      [{ id: 'b2', from: 'bob', to: 'me', conv, seq: 2, ts: 2, body: 'again' }],
      {
        pendingAck: true,
      },
    );
    expect((await s.pendingAcks()).map((a) => a.key)).toEqual(['bob/b2']);
    s.close();
  });
});
