import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import { newMessageId } from '../../client/ids';
import type { ImClient } from '../../client/imClient';
import { messageKey } from '../../client/storage';
import { directConversationId, type Session } from '../../protocol';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import {
  connected,
  countIncoming,
  newUser,
  nextEvent,
  startClient,
  statusReached,
  storageFor,
} from '../support/clients';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('ack:R is retransmitted until ack:A, across reconnects and restarts', () => {
  let server: Started;
  let proxy: FaultProxy;
  let alice: Session;
  let bob: Session;
  let a: ImClient;
  let aStore: DexieStorage;

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 5 } });
    proxy = await createFaultProxy(server.url);
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
    aStore = storageFor(alice);
    a = await startClient(server.url, alice, { storage: aStore });
    await connected(a);
  });

  afterAll(async () => {
    a.close();
    aStore.close();
    await proxy.close();
    await server.close();
  });

  /** Resolves once the proxy has seen `count` packets `packet` about message `id`. */
  async function seen(packet: 'ack:R' | 'ack:A', id: string, count: number): Promise<void> {
    while (proxy.seenFor(packet, id) < count) await proxy.waitFor(packet);
  }

  it('keeps the confirmation on disk while ack:A is lost, and resends it after a restart', async () => {
    const storage = storageFor(bob, `ack-restart-${bob.deviceId}`);
    let b = await startClient(proxy.url, bob, { storage });
    await connected(b);
    const shown = countIncoming(b);
    // Every ack:A to bob is lost: the server has each ack:R, bob never hears so.
    const lost = (packet: string) => packet === 'ack:A';
    proxy.rules.add(lost);
    const arrived = nextEvent(b, 'message');
    const message = await a.send(bob.userId, 'confirm me');
    const key = messageKey(alice.userId, message.id);
    await arrived;
    await seen('ack:R', message.id, 3);
    expect(proxy.seenFor('ack:A', message.id)).toBeGreaterThanOrEqual(2);
    expect(await storage.pendingAcks()).toEqual([{ key, from: alice.userId, id: message.id }]);
    // The sender's side is done: the server took the first ack:R.
    await statusReached(a, aStore, message.id, 'delivered');

    // Bob's app is closed with the confirmation still owed, and started again.
    b.close();
    const sentBefore = proxy.seenFor('ack:R', message.id);
    proxy.rules.delete(lost);
    b = await startClient(proxy.url, bob, { storage });
    countIncoming(b);
    await connected(b);
    await b.acksSettled();
    expect(proxy.seenFor('ack:R', message.id)).toBeGreaterThan(sentBefore);
    expect(await storage.pendingAcks()).toEqual([]);
    // Still one copy, shown once by the first engine and not again.
    const history = await b.history(directConversationId(alice.userId, bob.userId), { limit: 50 });
    expect(history.filter((m) => m.id === message.id)).toHaveLength(1);
    expect(shown.get(key)).toBe(1);
    b.close();
    storage.close();
  });

  it('stops when the server answers not_found (the message is gone, e.g. by retention)', async () => {
    const storage = storageFor(bob, `ack-gone-${bob.deviceId}`);
    // A confirmation owed for a message the server does not have.
    const ghost = {
      id: newMessageId(),
      from: alice.userId,
      to: bob.userId,
      body: 'long gone',
      ts: 1,
      seq: 1,
      conv: directConversationId(alice.userId, bob.userId),
    };
    await storage.addFromServer(bob.userId, [ghost], { pendingAck: true });
    expect(await storage.pendingAcks()).toHaveLength(1);
    const b = await startClient(proxy.url, bob, { storage });
    await b.acksSettled();
    expect(await storage.pendingAcks()).toEqual([]);
    expect(proxy.seenFor('ack:R', ghost.id)).toBe(1);
    b.close();
    storage.close();
  });
});
