import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../server/groupCommit';
import { MIGRATIONS } from '../../server/migrations';
import { Store } from '../../server/store';
import { tempDir } from '../support/servers';

describe('store', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  function open() {
    const tmp = tempDir();
    dirs.push(tmp);
    return { store: new Store(tmp.dir), dir: tmp.dir };
  }

  it('runs migrations once and uses WAL with synchronous=FULL', () => {
    const { store, dir } = open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
    const again = new Store(dir);
    expect(again.counts()).toEqual({ users: 0, messages: 0, inbox: 0 });
    again.close();
  });

  it('refuses a database from a newer version', () => {
    const { store, dir } = open();
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    expect(() => new Store(dir)).toThrow(/newer than this server/);
  });

  it('stores (sender, id) once and tells duplicates from conflicts', () => {
    const { store } = open();
    const m = { id: 'm1', to: 'bob', body: 'hi' };
    expect(store.storeMessage('alice', m, 100)).toEqual({ kind: 'stored', ts: 100 });
    expect(store.storeMessage('alice', m, 200)).toEqual({
      kind: 'duplicate',
      ts: 100,
      acked: false,
    });
    expect(store.storeMessage('alice', { ...m, body: 'other' }, 300)).toEqual({ kind: 'conflict' });
    expect(store.storeMessage('carol', m, 400)).toEqual({ kind: 'stored', ts: 400 });
    expect(store.ackMessage('mallory', 'alice', 'm1', 500)).toBeUndefined();
    expect(store.ackMessage('bob', 'alice', 'm1', 500)).toEqual({
      sender: 'alice',
      id: 'm1',
      recipient: 'bob',
      ts: 100,
    });
    // After the ack the body is gone, but a retransmission is still recognised.
    expect(store.storeMessage('alice', m, 600)).toEqual({
      kind: 'duplicate',
      ts: 100,
      acked: true,
    });
    expect(store.storeMessage('alice', { ...m, body: 'x' }, 600)).toEqual({ kind: 'conflict' });
    const row = store.db.prepare("SELECT body FROM messages WHERE sender='alice'").get() as {
      body: string | null;
    };
    expect(row.body).toBeNull();
    store.close();
  });

  it('pages the inbox in store order', () => {
    const { store } = open();
    for (let i = 0; i < 5; i++)
      store.storeMessage('a', { id: `m${i}`, to: 'bob', body: `${i}` }, 1000 - i);
    const first = store.inboxPage('bob', 0, 2);
    expect(first.messages.map((m) => m.id)).toEqual(['m0', 'm1']);
    expect(first.more).toBe(true);
    const second = store.inboxPage('bob', first.lastSeq, 10);
    expect(second.messages.map((m) => m.id)).toEqual(['m2', 'm3', 'm4']);
    expect(second.more).toBe(false);
    store.close();
  });

  it('group commit: one transaction per tick, each operation isolated', async () => {
    const { store, dir } = open();
    const commit = new GroupCommit(store.db);
    const results = await Promise.allSettled([
      commit.run(() => store.storeMessage('a', { id: '1', to: 'b', body: 'x' }, 1)),
      commit.run(() => {
        store.storeMessage('a', { id: '2', to: 'b', body: 'x' }, 1);
        throw new Error('this one fails');
      }),
      commit.run(() => store.storeMessage('a', { id: '3', to: 'b', body: 'x' }, 1)),
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
    await commit.run(() => store.storeMessage('a', { id: '4', to: 'b', body: 'x' }, 1));
    expect(commit.commits).toBe(2);
    store.close();
  });
});
