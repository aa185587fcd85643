import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { devices, newUser, until } from '../support/clients';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * A receipt (`ack:N`, `receipt:N`) lost on a connection that stays up: the
 * sender's devices must still learn where their message stands, without a
 * reconnect. (The safety-net timer asks `status:R`; 2.4 s with this policy.)
 */
describe('receipts lost on a connection that stays up', () => {
  let server: Started;
  let proxy: FaultProxy;
  const { engine, storageOf, closeAll } = devices(
    () => server.url,
    () => proxy.url,
  );

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 5 } });
    proxy = await createFaultProxy(server.url);
  });
  afterAll(async () => {
    closeAll();
    await proxy.close();
    await server.close();
  });

  /** Counts the client's disconnects, to show the repair came without one. */
  function disconnects(client: ImClient): () => number {
    let n = 0;
    client.events.on('connection', (s) => {
      if (s !== 'connected') n++;
    });
    return () => n;
  }

  /** Read from the device's storage: `client.history` could ask the server and so learn it. */
  const statusOf = async (client: ImClient, id: string) =>
    (await storageOf(client).get(`${client.userId}/${id}`))?.status;

  it('direct: the writing device and the person’s other device both reach delivered', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a1 = await engine(alice);
    const a2 = await engine(alice, true);
    const conv = a1.conversationWith(bob.userId);
    const sent = await a1.send(bob.userId, 'are you there?');
    for (const a of [a1, a2]) {
      await until([a], async () => (await statusOf(a, sent.id)) === 'stored', 'stored');
    }
    const gaps = [disconnects(a1), disconnects(a2)];
    // From now on no ack:N and no receipt:N reaches anyone.
    const lost = (packet: string) => packet === 'ack:N' || packet === 'receipt:N';
    proxy.rules.add(lost);
    try {
      const b = await engine(bob);
      await until([b], async () => ((await b.conversation(conv))?.lastSeq ?? 0) >= 1, 'bob has it');
      for (const a of [a1, a2]) {
        await until(
          [a],
          async () => (await statusOf(a, sent.id)) === 'delivered',
          'delivered on both of alice’s devices',
        );
      }
      expect(proxy.dropped.get('ack:N') ?? 0).toBeGreaterThan(0);
      expect(gaps.map((g) => g())).toEqual([0, 0]);
    } finally {
      proxy.rules.delete(lost);
    }
  });

  it('group: the sender reaches delivered once every member has it', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await engine(alice);
    const b = await engine(bob);
    const c = await engine(carol);
    const conv = await a.createGroup('Lost receipts', [bob.userId, carol.userId]);
    const gap = disconnects(a);
    const lost = (packet: string) => packet === 'receipt:N';
    proxy.rules.add(lost);
    try {
      const sent = await a.send(conv, 'does everyone have this?');
      for (const m of [b, c]) {
        await until(
          [m],
          async () => (await storageOf(m).get(`${alice.userId}/${sent.id}`)) !== undefined,
          'a member has it',
        );
      }
      await until(
        [a],
        async () => (await statusOf(a, sent.id)) === 'delivered',
        'delivered to the group',
      );
      expect(proxy.dropped.get('receipt:N') ?? 0).toBeGreaterThan(0);
      expect(gap()).toBe(0);
    } finally {
      proxy.rules.delete(lost);
    }
  });
});
