import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, type Session } from '../../protocol';
import { connected, newDevice, newUser, startClient, storageFor } from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { ask, collect, nextPush, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

describe('typing indicators', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let proxy: FaultProxy;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    server = await startServer();
    proxy = await createFaultProxy(server.url);
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it("reach the other person's devices only, are throttled by the server, and are never stored", async () => {
    const conv = directConversationId(alice.userId, bob.userId);
    const a1 = await rawConnect(server.url, alice.token, 2);
    const a2 = await rawConnect(server.url, (await newDevice(server.url, alice)).token, 2);
    const b1 = await rawConnect(server.url, bob.token, 2);
    const b2 = await rawConnect(server.url, (await newDevice(server.url, bob)).token);
    const carol = await rawConnect(server.url, (await newUser(server.url, 'carol')).token, 2);
    // The conversation exists once a message was stored in it.
    await ask(a1, 'msg:R', { id: 'hello', to: bob.userId, body: 'hello' });
    const before = countRows(server.dataDir);
    const toOwnDevice = collect(a2, 'typing:N');
    const toV1 = collect(b2, 'typing:N');
    const toB1 = collect(b1, 'typing:N');
    const pushed = nextPush(b1, 'typing:N');
    expect(await ask(a1, 'typing:R', { conv })).toEqual({ ok: true });
    expect(await pushed).toEqual({ conv, from: alice.userId });
    // Again at once: answered, not forwarded (one a second at most).
    expect(await ask(a1, 'typing:R', { conv })).toEqual({ ok: true });
    // Not a member: refused.
    expect(await ask(carol, 'typing:R', { conv })).toMatchObject({ error: { code: 'not_found' } });
    await ask(b1, 'conv:list', {}); // a round trip after the pushes
    expect(toB1).toHaveLength(1);
    expect(toOwnDevice).toEqual([]);
    expect(toV1).toEqual([]);
    expect(countRows(server.dataDir)).toEqual(before);
    for (const s of [a1, a2, b1, b2, carol]) s.close();
  });

  it('reach the other person in a direct conversation before its first message; nobody else', async () => {
    const dana = await newUser(server.url, 'dana');
    const erin = await newUser(server.url, 'erin');
    const conv = directConversationId(dana.userId, erin.userId);
    const d = await rawConnect(server.url, dana.token, 2);
    const e = await rawConnect(server.url, erin.token, 2);
    const before = countRows(server.dataDir);
    const pushed = nextPush(e, 'typing:N');
    expect(await ask(d, 'typing:R', { conv })).toEqual({ ok: true });
    expect(await pushed).toEqual({ conv, from: dana.userId });
    // Nobody with someone who does not exist, nor under a direct id written backwards.
    const ghost = directConversationId(dana.userId, 'no_such_user');
    expect(await ask(d, 'typing:R', { conv: ghost })).toMatchObject({
      error: { code: 'not_found' },
    });
    const [first, second] = [dana.userId, erin.userId].sort();
    expect(await ask(d, 'typing:R', { conv: `d:${second}:${first}` })).toMatchObject({
      error: { code: 'not_found' },
    });
    // Typing stores nothing: the conversation still has no row.
    expect(countRows(server.dataDir)).toEqual(before);
    d.close();
    e.close();
  });

  it('the engine sends at most one typing:R every few seconds per conversation', async () => {
    const client = await startClient(proxy.url, alice, { storage: storageFor(alice, 'typing-a') });
    await connected(client);
    const conv = client.conversationWith(bob.userId);
    const before = proxy.seen.get('typing:R') ?? 0;
    for (let i = 0; i < 20; i++) client.typing(conv);
    // A request sent after them on the same socket: once the proxy sees it, it saw them too.
    const after = proxy.waitFor('history:R');
    await client.history(conv, { limit: 10 });
    await after;
    expect((proxy.seen.get('typing:R') ?? 0) - before).toBe(1);
    client.close();
  });
});

function countRows(dataDir: string): Record<string, number> {
  const db = new Database(path.join(dataDir, 'tickline.sqlite3'), { readonly: true });
  const counts = Object.fromEntries(
    ['messages', 'conversations', 'members', 'device_acks'].map((t) => [
      t,
      db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number,
    ]),
  );
  db.close();
  return counts;
}
