import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import type { StoredMessage } from '../../client/storage';
import { serverMessages } from '../support/dbSnapshot';
import {
  connected,
  newUser,
  startClient,
  statusReached,
  storageFor,
  until,
} from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * The order a person wrote is the order in the log, for each device's
 * messages in a conversation, under lost packets, cut connections and
 * restarts; a failed message resent is the one exception, and shows where
 * it landed.
 */
describe("a device's messages enter the log in the order written", () => {
  let server: Started;
  let proxy: FaultProxy;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 6 } });
    proxy = await createFaultProxy(server.url);
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
    proxy.rules.clear();
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  async function people() {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const store = storageFor(alice, `order-${alice.userId}`);
    const a = await startClient(proxy.url, alice, { storage: store });
    cleanups.push(() => {
      a.close();
      store.close();
    });
    await connected(a);
    return { alice, bob, a, store };
  }

  /** The bodies of `sender`'s messages in the server's log, in `seq` order. */
  function logged(sender: string): string[] {
    return serverMessages(server.dataDir)
      .filter((r) => r.from === sender)
      .sort((x, y) => x.seq - y.seq)
      .map((r) => r.body ?? '');
  }

  async function allDelivered(
    a: ImClient,
    store: { get(k: string): Promise<StoredMessage | undefined> },
    sent: StoredMessage[],
  ) {
    for (const m of sent) await statusReached(a, store, m.id, 'delivered');
  }

  it("the first message's msg:R is lost: the ones written after it wait for it", async () => {
    const { alice, bob, a, store } = await people();
    const bStore = storageFor(bob, `order-${bob.userId}`);
    const b = await startClient(proxy.url, bob, { storage: bStore });
    cleanups.push(() => {
      b.close();
      bStore.close();
    });
    await connected(b);
    proxy.dropNext('msg:R', 1);
    const bodies = Array.from({ length: 8 }, (_, i) => `in order ${i}`);
    const sent = await Promise.all(bodies.map((body) => a.send(bob.userId, body)));
    await allDelivered(a, store, sent);
    expect(proxy.dropped.get('msg:R')).toBe(1);
    expect(logged(alice.userId)).toEqual(bodies);
    const conv = b.conversationWith(alice.userId);
    await until(
      [b],
      async () => (await b.history(conv, { limit: 20 })).length === 8,
      'bob has all',
    );
    expect((await b.history(conv, { limit: 20 })).reverse().map((m) => m.body)).toEqual(bodies);
  });

  it('lost copies and cut connections: still the order written', async () => {
    const { alice, bob, a, store } = await people();
    // The first copy of every third msg:R and of every fifth msg:A is lost (one
    // copy each, so that no message runs out of attempts); the connection is cut twice.
    const losses = (packet: string, every: number, phase: number) => {
      const once = new Set<string>();
      let n = 0;
      return (p: string, _args: unknown[], id: string | undefined) => {
        if (p !== packet || id === undefined || once.has(id)) return false;
        once.add(id);
        return ++n % every === phase;
      };
    };
    proxy.rules.add(losses('msg:R', 3, 1));
    proxy.rules.add(losses('msg:A', 5, 2));
    const bodies = Array.from({ length: 30 }, (_, i) => `burst ${i}`);
    const sent: StoredMessage[] = [];
    for (const [i, body] of bodies.entries()) {
      sent.push(await a.send(bob.userId, body));
      if (i === 10 || i === 20) proxy.cutAll();
    }
    for (const message of sent) await statusReached(a, store, message.id, 'stored');
    expect(proxy.dropped.get('msg:R')).toBeGreaterThan(5);
    expect(logged(alice.userId)).toEqual(bodies);
  });

  it('an engine restarted with messages in its outbox sends them in the order written', async () => {
    const { alice, bob, a, store } = await people();
    proxy.rules.add((packet) => packet === 'msg:R');
    const bodies = Array.from({ length: 6 }, (_, i) => `before the restart ${i}`);
    const sent: StoredMessage[] = [];
    for (const body of bodies) sent.push(await a.send(bob.userId, body));
    a.close();
    proxy.rules.clear();
    const again = await startClient(proxy.url, alice, { storage: store });
    cleanups.push(() => again.close());
    for (const message of sent) await statusReached(again, store, message.id, 'stored');
    expect(logged(alice.userId)).toEqual(bodies);
  });

  it('a failed message resent lands after what was written meanwhile, and shows there', async () => {
    const { alice, bob, a, store } = await people();
    // Every copy of the first message is lost until it fails.
    const losing = (packet: string, args: unknown[]) =>
      packet === 'msg:R' && (args[0] as { body?: string }).body === 'written first, fails';
    proxy.rules.add(losing);
    const first = await a.send(bob.userId, 'written first, fails');
    await statusReached(a, store, first.id, 'failed', 30_000);
    const second = await a.send(bob.userId, 'written second, goes through');
    await statusReached(a, store, second.id, 'stored');
    proxy.rules.delete(losing);
    expect(await a.resend(first.id)).toBe(true);
    const conv = a.conversationWith(bob.userId);
    // Shown at once after the second, before the server has it.
    const pending = (await a.history(conv, { limit: 10 })).reverse().map((m) => m.body);
    expect(pending).toEqual(['written second, goes through', 'written first, fails']);
    const landed = await statusReached(a, store, first.id, 'stored');
    expect(landed.seq).toBe(2);
    expect(logged(alice.userId)).toEqual(['written second, goes through', 'written first, fails']);
  });
});
