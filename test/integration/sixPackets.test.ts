import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import type { DexieStorage } from '../../client/dexieStorage';
import type { Session } from '../../protocol';
import {
  createFaultProxy,
  type DropRule,
  type FaultProxy,
  type PacketName,
} from '../support/faultProxy';
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

  /**
   * Drops the first `packet` about the message whose body is `body` (its id
   * is learnt from its first msg:R, which precedes every other packet about it).
   */
  function dropOnceFor(packet: PacketName, body: string): void {
    let id: string | undefined;
    let done = false;
    const rule: DropRule = (p, args, about) => {
      if (id === undefined && p === 'msg:R' && (args[0] as { body?: unknown }).body === body) {
        id = about;
      }
      if (done || p !== packet || about === undefined || about !== id) return false;
      done = true;
      proxy.rules.delete(rule);
      return true;
    };
    proxy.rules.add(rule);
  }

  /** Resolves once the proxy has seen `count` packets `packet` about message `id`. */
  async function seen(packet: PacketName, id: string, count: number): Promise<void> {
    while (proxy.seenFor(packet, id) < count) await proxy.waitFor(packet);
  }

  async function sendWithLoss(packet: PacketName | undefined) {
    const droppedBefore = packet ? (proxy.dropped.get(packet) ?? 0) : 0;
    const body = `hello with ${packet ?? 'nothing'} lost`;
    if (packet) dropOnceFor(packet, body);
    const message = await a.send(bob.userId, body);
    const delivered = await statusReached(a, aStore, message.id, 'delivered');
    // The receiver's history holds it exactly once, and it was shown once.
    const history = await b.history(b.conversationWith(alice.userId), { limit: 1000 });
    expect(history.filter((m) => m.id === message.id)).toHaveLength(1);
    expect(history.find((m) => m.id === message.id)?.body).toBe(body);
    expect(bSeen.get(message.key)).toBe(1);
    expect(delivered.ts).toBeTypeOf('number');
    // Exactly the one packet about this message was dropped.
    if (packet) expect(proxy.dropped.get(packet)).toBe(droppedBefore + 1);
    // The receiver's confirmation reached the server and was answered: nothing owed.
    await seen('ack:A', message.id, packet === 'ack:A' ? 2 : 1);
    await b.acksSettled();
    expect(await bStore.pendingAcks()).toEqual([]);
    return message;
  }

  const count = (packet: PacketName, id: string) => proxy.seenFor(packet, id);

  it('delivers with no loss: each of the six packets once', async () => {
    const { id } = await sendWithLoss(undefined);
    for (const packet of ['msg:R', 'msg:A', 'msg:N', 'ack:R', 'ack:A', 'ack:N'] as const) {
      expect(count(packet, id), packet).toBe(1);
    }
  });

  it('repairs a dropped msg:R: the sender transmits it again', async () => {
    const { id } = await sendWithLoss('msg:R');
    expect(count('msg:R', id)).toBeGreaterThanOrEqual(2);
    expect(count('msg:N', id)).toBe(1);
  });

  it('repairs a dropped msg:A: ack:N brings the seq and ts it carried', async () => {
    // The recipient is online, so its confirmation (ack:N, with seq and ts)
    // arrives long before the attempt times out: no retransmission is needed.
    const { id } = await sendWithLoss('msg:A');
    expect(count('msg:R', id)).toBe(1);
    expect(count('ack:N', id)).toBe(1);
    const stored = await aStore.get(`${alice.userId}/${id}`);
    const received = await bStore.get(`${alice.userId}/${id}`);
    expect(stored?.seq).toBeTypeOf('number');
    expect([stored?.seq, stored?.ts]).toEqual([received?.seq, received?.ts]);
  });

  it('repairs a dropped msg:A of a message the recipient cannot confirm yet: msg:R again', async () => {
    // The recipient's msg:N is held too, so only a retransmission can tell
    // the sender that the server has the message.
    proxy.rules.add((p) => p === 'msg:N');
    const body = 'msg:A lost, recipient silent';
    dropOnceFor('msg:A', body);
    const message = await a.send(bob.userId, body);
    await statusReached(a, aStore, message.id, 'sent');
    expect(count('msg:R', message.id)).toBeGreaterThanOrEqual(2);
    expect(count('msg:A', message.id)).toBeGreaterThanOrEqual(2);
    proxy.rules.clear();
    await statusReached(a, aStore, message.id, 'delivered');
    const history = await b.history(b.conversationWith(alice.userId), { limit: 1000 });
    expect(history.filter((m) => m.id === message.id)).toHaveLength(1);
    expect(bSeen.get(message.key)).toBe(1);
  });

  it('repairs a dropped msg:N: the sender retransmits, the server pushes it again', async () => {
    const pulls = proxy.seen.get('offline:R') ?? 0;
    const { id } = await sendWithLoss('msg:N');
    // Pushed again after a retransmission, or (when the safety-net timer came
    // first) pulled by the receiver.
    const repaired =
      (count('msg:R', id) >= 2 && count('msg:N', id) >= 2) ||
      (proxy.seen.get('offline:R') ?? 0) > pulls;
    expect(repaired).toBe(true);
  });

  it('repairs a dropped ack:R: the confirmation is sent again', async () => {
    const pulls = proxy.seen.get('offlineack:R') ?? 0;
    const { id } = await sendWithLoss('ack:R');
    // Sent again (after the sender's retransmission brought msg:N again, or by
    // the receiver's own retransmitter), or confirmed by a pull on the safety-net timer.
    const repaired = count('ack:R', id) >= 2 || (proxy.seen.get('offlineack:R') ?? 0) > pulls;
    expect(repaired).toBe(true);
  });

  it('repairs a dropped ack:A: the receiver retransmits ack:R until ack:A arrives', async () => {
    const { id } = await sendWithLoss('ack:A');
    expect(count('ack:R', id)).toBeGreaterThanOrEqual(2);
    expect(count('ack:A', id)).toBe(2);
    // Not repaired by a second push: the receiver's own retransmitter did it.
    expect(count('msg:N', id)).toBe(1);
  });

  it('repairs a dropped ack:N: the sender retransmits and the server tells it again', async () => {
    const polls = proxy.seen.get('status:R') ?? 0;
    const { id } = await sendWithLoss('ack:N');
    // Told again after a retransmission, or (when the safety-net timer came
    // first) answered by the status:R poll.
    const repaired =
      count('ack:N', id) >= 2 ||
      (count('msg:R', id) === 1 && (proxy.seen.get('status:R') ?? 0) > polls);
    expect(repaired).toBe(true);
  });
});
