import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MsgN } from '../../protocol';
import {
  connected,
  countIncoming,
  newUser,
  nextEvent,
  startClient,
  storageFor,
} from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { ask, nextPush, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('offline recipients', () => {
  let server: Started;
  let proxy: FaultProxy;

  beforeAll(async () => {
    // 1,200 messages from one sender wait for one recipient: within one sender's
    // share (a quarter) of a 5,000-message inbox.
    server = await startServer({
      clientPolicy: { ackTimeoutMs: 200, maxAttempts: 5 },
      inboxQuota: 5_000,
    });
    proxy = await createFaultProxy(server.url);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('stand-in ack, then 1,200 messages pulled in pages, then the real ack:N', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const aStore = storageFor(alice);
    // Nothing is lost here: a retry budget that a burst of 1,200 writes on a
    // busy machine cannot outlast (the server's 200 ms policy gives 6 s).
    const policy = { ackTimeoutMs: 2_000, maxAttempts: 6 };
    const a = await startClient(proxy.url, alice, { storage: aStore, policy });
    await connected(a);

    const total = 1_200;
    const stored = new Set<string>();
    const allStored = new Promise<void>((resolve) =>
      a.events.on('status', (m) => {
        if (m.status === 'stored') stored.add(m.id);
        if (stored.size === total) resolve();
      }),
    );
    const sent = [];
    for (let i = 0; i < total; i += 100) {
      sent.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, j) => a.send(bob.userId, `offline message ${i + j}`)),
        )),
      );
    }
    await allStored;
    expect((await aStore.outgoingByStatus(['stored'])).length).toBe(total);

    const delivered = new Set<string>();
    const allDelivered = new Promise<void>((resolve) =>
      a.events.on('status', (m) => {
        if (m.status === 'delivered') delivered.add(m.id);
        if (delivered.size === total) resolve();
      }),
    );
    const pullsBefore = proxy.seen.get('offline:R') ?? 0;
    const bStore = storageFor(bob);
    const b = await startClient(proxy.url, bob, { storage: bStore, pullLimit: 100 });
    const shown = countIncoming(b);
    await allDelivered;
    await b.settled();

    const history = await b.history(b.conversationWith(alice.userId), { limit: 5_000 });
    expect(history).toHaveLength(total);
    expect(new Set(history.map((m) => m.id)).size).toBe(total);
    expect([...shown.values()].every((n) => n === 1)).toBe(true);
    expect(shown.size).toBe(total);
    // 1,200 at 100 a page: at least 12 pages (13 with the last, empty one).
    expect((proxy.seen.get('offline:R') ?? 0) - pullsBefore).toBeGreaterThanOrEqual(12);
    const conv = (await b.conversations()).find((c) => c.peer === alice.userId);
    expect(conv?.unread).toBe(total);
    for (const c of [a, b]) c.close();
    aStore.close();
    bStore.close();
  });

  it('recovers every message when a page (offline:A) is lost mid-pull, without reconnecting', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const sender = await rawConnect(server.url, alice.token);
    for (let i = 0; i < 250; i++) {
      await ask(sender, 'msg:R', { id: `p${i}`, to: bob.userId, body: `page test ${i}` });
    }
    sender.close();
    let answers = 0;
    proxy.rules.add((packet) => packet === 'offline:A' && ++answers === 2);
    const bStore = storageFor(bob);
    const b = await startClient(proxy.url, bob, { storage: bStore, pullLimit: 100 });
    const shown = countIncoming(b);
    await connected(b);
    while (shown.size < 250) await nextEvent(b, 'message');
    await b.settled();
    proxy.rules.clear();
    expect(proxy.dropped.get('offline:A')).toBeGreaterThanOrEqual(1);
    expect(await b.history(b.conversationWith(alice.userId), { limit: 1000 })).toHaveLength(250);
    expect([...shown.values()].every((n) => n === 1)).toBe(true);
    // Everything was confirmed: the server's inbox for bob is empty.
    const check = await rawConnect(server.url, bob.token);
    expect(await ask(check, 'offline:R', {})).toEqual({ ok: true, messages: [], more: false });
    check.close();
    b.close();
    bStore.close();
  });

  it('a recipient whose connection died after msg:N, before ack:R, gets it again', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const bob1 = await rawConnect(server.url, bob.token);
    const sender = await rawConnect(server.url, alice.token);
    const pushed = nextPush<MsgN>(bob1, 'msg:N');
    const answer = await ask(sender, 'msg:R', {
      id: 'm-1',
      to: bob.userId,
      body: 'are you there?',
    });
    expect(answer).toMatchObject({ ok: true, id: 'm-1' });
    expect((await pushed).body).toBe('are you there?');
    bob1.close(); // dies without ack:R

    const bob2 = await rawConnect(server.url, bob.token);
    const page = (await ask(bob2, 'offline:R', {})) as {
      ok: true;
      messages: MsgN[];
      more: boolean;
    };
    expect(page.ok).toBe(true);
    expect(page.more).toBe(false);
    expect(page.messages.map((m) => [m.from, m.id, m.body])).toEqual([
      [alice.userId, 'm-1', 'are you there?'],
    ]);
    const ackN = nextPush<{ id: string; offline: boolean }>(sender, 'ack:N');
    expect(await ask(bob2, 'offlineack:R', { ids: [{ from: alice.userId, id: 'm-1' }] })).toEqual({
      ok: true,
    });
    expect(await ackN).toMatchObject({ id: 'm-1', offline: false });
    // Acknowledged: gone from the inbox.
    expect(await ask(bob2, 'offline:R', {})).toEqual({ ok: true, messages: [], more: false });
    bob2.close();
    sender.close();
  });

  it('answers a retransmission idempotently in every state', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const sender = await rawConnect(server.url, alice.token);
    const packet = { id: 'same-id', to: bob.userId, body: 'once only' };

    // Recipient offline: msg:A then the stand-in ack:N, both times with the original ts.
    let ackN = nextPush<{ offline: boolean; ts: number }>(sender, 'ack:N');
    const first = (await ask(sender, 'msg:R', packet)) as { ts: number };
    expect(await ackN).toMatchObject({ offline: true, ts: first.ts });
    ackN = nextPush(sender, 'ack:N');
    expect(await ask(sender, 'msg:R', packet)).toEqual({ ok: true, id: 'same-id', ts: first.ts });
    expect(await ackN).toMatchObject({ offline: true, ts: first.ts });

    // Same id, different body or recipient: id_conflict.
    expect(await ask(sender, 'msg:R', { ...packet, body: 'other' })).toMatchObject({
      ok: false,
      error: { code: 'id_conflict' },
    });
    expect(await ask(sender, 'msg:R', { ...packet, to: alice.userId })).toMatchObject({
      ok: false,
      error: { code: 'id_conflict' },
    });

    // Recipient online: msg:N pushed again.
    const receiver = await rawConnect(server.url, bob.token);
    const again = nextPush<MsgN>(receiver, 'msg:N');
    await ask(sender, 'msg:R', packet);
    expect(await again).toMatchObject({ id: 'same-id', from: alice.userId, ts: first.ts });

    // Acknowledged (twice is fine): a retransmission gets ack:N offline:false.
    expect(await ask(receiver, 'ack:R', { from: alice.userId, id: 'same-id' })).toEqual({
      ok: true,
    });
    expect(await ask(receiver, 'ack:R', { from: alice.userId, id: 'same-id' })).toEqual({
      ok: true,
    });
    ackN = nextPush(sender, 'ack:N');
    expect(await ask(sender, 'msg:R', packet)).toEqual({ ok: true, id: 'same-id', ts: first.ts });
    expect(await ackN).toMatchObject({ offline: false, ts: first.ts });
    receiver.close();
    sender.close();
  });
});
