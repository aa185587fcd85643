import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import type { DexieStorage } from '../../client/dexieStorage';
import type { Session } from '../../protocol';
import { createFaultProxy, type FaultProxy, type PacketName } from '../support/faultProxy';
import {
  connected,
  countIncoming,
  newUser,
  startClient,
  statusReached,
  storageFor,
} from '../support/clients';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('one message through the six packets, each one lost once', () => {
  let server: Started;
  let proxy: FaultProxy;
  let alice: Session;
  let bob: Session;
  let a: ImClient;
  let b: ImClient;
  let aStore: DexieStorage;
  let bStore: DexieStorage;
  let bSeen: Map<string, number>;

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 5 } });
    proxy = await createFaultProxy(server.url);
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
    aStore = storageFor(alice);
    bStore = storageFor(bob);
    a = await startClient(proxy.url, alice, { storage: aStore });
    b = await startClient(proxy.url, bob, { storage: bStore });
    bSeen = countIncoming(b);
    await Promise.all([connected(a), connected(b)]);
  });

  afterEach(() => proxy.rules.clear());

  afterAll(async () => {
    a.close();
    b.close();
    aStore.close();
    bStore.close();
    await proxy.close();
    await server.close();
  });

  async function sendWithLoss(packet: PacketName | undefined) {
    if (packet) proxy.dropNext(packet, 1);
    const body = `hello with ${packet ?? 'nothing'} lost`;
    const message = await a.send(bob.userId, body);
    const delivered = await statusReached(a, aStore, message.id, 'delivered');
    // The receiver's history holds it exactly once, and it was shown once.
    const history = await b.history(b.conversationWith(alice.userId), { limit: 1000 });
    expect(history.filter((m) => m.id === message.id)).toHaveLength(1);
    expect(history.find((m) => m.id === message.id)?.body).toBe(body);
    expect(bSeen.get(message.key)).toBe(1);
    expect(delivered.ts).toBeTypeOf('number');
    if (packet) expect(proxy.dropped.get(packet)).toBeGreaterThanOrEqual(1);
    return message;
  }

  it('delivers with no loss', async () => {
    await sendWithLoss(undefined);
  });

  for (const packet of ['msg:R', 'msg:A', 'msg:N', 'ack:R', 'ack:A', 'ack:N'] as const) {
    it(`delivers exactly once when ${packet} is dropped`, async () => {
      const before = proxy.dropped.get(packet) ?? 0;
      await sendWithLoss(packet);
      expect(proxy.dropped.get(packet)).toBe(before + 1);
    });
  }
});
