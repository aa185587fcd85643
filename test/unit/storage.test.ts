import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DexieStorage } from '../../client/dexieStorage';
import { MemoryStorage } from '../../client/memoryStorage';
import { messageKey, type StoredMessage } from '../../client/storage';

const IMPLEMENTATIONS = {
  DexieStorage: () => new DexieStorage('t', { indexedDB: new IDBFactory(), IDBKeyRange }),
  MemoryStorage: () => new MemoryStorage(),
};

function incoming(from: string, id: string, ts: number): StoredMessage {
  return {
    key: messageKey(from, id),
    id,
    from,
    to: 'me',
    peer: from,
    direction: 'in',
    body: id,
    sortTs: ts,
    ts,
  };
}

describe.each(Object.entries(IMPLEMENTATIONS))('%s', (_name, storage) => {
  it('keeps each incoming message once, however often it arrives', async () => {
    const s = storage();
    const m = incoming('bob', 'x', 10);
    expect(await s.addIncoming([m, m])).toHaveLength(1);
    expect(await s.addIncoming([m])).toHaveLength(0);
    expect(await s.history('bob', { limit: 10 })).toHaveLength(1);
    const [conv] = await s.conversations();
    expect(conv).toMatchObject({ peer: 'bob', unread: 1 });
    await s.markRead('bob');
    expect((await s.conversations())[0]!.unread).toBe(0);
    s.close();
  });

  it('pages history newest first with a cursor', async () => {
    const s = storage();
    await s.addIncoming(Array.from({ length: 25 }, (_, i) => incoming('bob', `m${i}`, 1000 + i)));
    const first = await s.history('bob', { limit: 10 });
    expect(first.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${24 - i}`));
    const last = first.at(-1)!;
    const second = await s.history('bob', {
      limit: 10,
      before: { sortTs: last.sortTs, key: last.key },
    });
    expect(second[0]!.id).toBe('m14');
    expect(await s.history('carol', { limit: 10 })).toEqual([]);
    s.close();
  });

  it('advances outgoing status only forward', async () => {
    const s = storage();
    const out: StoredMessage = {
      key: 'me/o1',
      id: 'o1',
      from: 'me',
      to: 'bob',
      peer: 'bob',
      direction: 'out',
      body: 'hi',
      sortTs: 5,
      status: 'pending',
      deadline: 100,
    };
    await s.addOutgoing(out);
    expect((await s.advance('me/o1', 'sent', { ts: 7 }))?.status).toBe('sent');
    expect(await s.advance('me/o1', 'pending')).toBeUndefined();
    expect(await s.advance('me/o1', 'failed')).toBeUndefined();
    expect((await s.advance('me/o1', 'delivered'))?.ts).toBe(7);
    expect(await s.advance('me/o1', 'stored')).toBeUndefined();
    expect((await s.outgoingByStatus(['delivered'])).map((m) => m.id)).toEqual(['o1']);
    expect(await s.advance('nope', 'sent')).toBeUndefined();
    s.close();
  });
});
