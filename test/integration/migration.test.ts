import Database from 'better-sqlite3';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../protocol';
import { directConversationId, historyASchema, type MsgN } from '../../protocol';
import { MIGRATIONS } from '../../server/migrations';
import { connected, countIncoming, startClient, storageFor, until } from '../support/clients';
import { ask, nextPush, rawConnect } from '../support/raw';
import { startServer, tempDir } from '../support/servers';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1/', import.meta.url));

interface Expected {
  users: Record<'alice' | 'bob' | 'carol', Session>;
  messages: { from: string; to: string; id: string; body: string; acked: boolean }[];
}

describe('a database written by the v1 server', () => {
  const expected = JSON.parse(
    readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'),
  ) as Expected;
  const { alice, bob, carol } = expected.users;
  const tmp = tempDir();
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    copyFileSync(path.join(FIXTURE, 'tickline.sqlite3'), path.join(tmp.dir, 'tickline.sqlite3'));
    const before = new Database(path.join(tmp.dir, 'tickline.sqlite3'), { readonly: true });
    expect(before.pragma('user_version', { simple: true })).toBe(1);
    before.close();
    server = await startServer({ dataDir: tmp.dir });
  });
  afterAll(async () => {
    await server.close();
    tmp.remove();
  });

  it('migrates to the current schema with every row kept, in order, consistent', () => {
    const db = new Database(path.join(tmp.dir, 'tickline.sqlite3'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = db
      .prepare(
        'SELECT conv, seq, sender, id, recipient, body, delivered_at FROM messages ORDER BY gseq',
      )
      .all() as {
      conv: string;
      seq: number;
      sender: string;
      id: string;
      recipient: string;
      body: string | null;
      delivered_at: number | null;
    }[];
    expect(rows.map((r) => r.id)).toEqual(expected.messages.map((m) => m.id));
    for (const [i, m] of expected.messages.entries()) {
      const r = rows[i]!;
      expect(r).toMatchObject({
        sender: m.from,
        recipient: m.to,
        conv: directConversationId(m.from, m.to),
      });
      // v1 cleared bodies once acknowledged; everything it still had is kept.
      expect(r.body).toBe(m.acked ? null : m.body);
      expect(r.delivered_at !== null).toBe(m.acked);
    }
    // Each conversation numbered 1, 2, 3... in the old store order.
    const seqs = new Map<string, number[]>();
    for (const r of rows) seqs.set(r.conv, [...(seqs.get(r.conv) ?? []), r.seq]);
    for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i + 1));
    expect(db.prepare('SELECT count(*) FROM devices').pluck().get()).toBe(3);
    db.close();
  });

  it('keeps sessions (each one a device) and delivers what was waiting, to a wire-v1 client', async () => {
    const carolSocket = await rawConnect(server.url, carol.token);
    const aliceSocket = await rawConnect(server.url, alice.token);
    const page = (await ask(carolSocket, 'offline:R', {})) as { messages: MsgN[]; more: boolean };
    const waiting = expected.messages.filter((m) => m.to === carol.userId);
    expect(page.messages).toEqual(
      waiting.map((m) => ({
        id: m.id,
        from: m.from,
        to: m.to,
        body: m.body,
        ts: expect.any(Number),
      })),
    );
    const ackN = nextPush<{ id: string; offline: boolean }>(aliceSocket, 'ack:N');
    await ask(carolSocket, 'offlineack:R', { ids: waiting.map(({ from, id }) => ({ from, id })) });
    expect(await ackN).toMatchObject({ offline: false });
    // A retransmission of an old, acknowledged message is still recognised.
    const old = expected.messages.find((m) => m.id === 'v1-a1')!;
    const again = nextPush<{ id: string; offline: boolean }>(aliceSocket, 'ack:N');
    expect(
      await ask(aliceSocket, 'msg:R', { id: old.id, to: old.to, body: old.body }),
    ).toMatchObject({
      ok: true,
      id: old.id,
    });
    expect(await again).toEqual({ id: old.id, to: old.to, offline: false, ts: expect.any(Number) });
    expect(
      await ask(aliceSocket, 'msg:R', { id: old.id, to: old.to, body: 'changed' }),
    ).toMatchObject({
      error: { code: 'id_conflict' },
    });
    carolSocket.close();
    aliceSocket.close();
  });

  it("gives a v2 client the conversation log, with unread counts from what v1's devices had acknowledged", async () => {
    const storage = storageFor(alice, 'migrated-alice');
    const client = await startClient(server.url, alice, { storage });
    const shown = countIncoming(client);
    await connected(client);
    const withBob = directConversationId(alice.userId, bob.userId);
    // What the server still has a body for: bob's waiting message, and (as this
    // person's own messages) the two to carol. Bodies v1 cleared cannot come back.
    const withBody = expected.messages.filter(
      (m) => !m.acked && (m.to === alice.userId || m.from === alice.userId),
    );
    await until([client], () => shown.size === withBody.length, 'every kept message arrived');
    await client.settled();
    expect([...shown.keys()].sort()).toEqual(withBody.map((m) => `${m.from}/${m.id}`).sort());
    const b2 = expected.messages.find((m) => m.id === 'v1-b2')!;
    expect((await storage.get(`${b2.from}/${b2.id}`))?.direction).toBe('in');
    expect((await storage.conversation(withBob))?.unread).toBe(1);
    // The log says where the bodiless (acknowledged under v1) entries were.
    const probe = await rawConnect(server.url, alice.token, 2);
    const history = historyASchema.parse(await ask(probe, 'history:R', { conv: withBob }));
    expect(history.messages.map((m) => [m.seq, m.id, m.body])).toEqual([
      [1, 'v1-a1', undefined],
      [2, 'v1-b1', undefined],
      [3, 'v1-a2', undefined],
      [4, 'v1-b2', b2.body],
    ]);
    probe.close();
    client.close();
    storage.close();
  });
});
