import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ImClient } from '../../client/imClient';
import { DEFAULT_CLIENT_POLICY, type Session } from '../../protocol';
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

/** The target: a silent partition is noticed this soon while a message waits. */
const NOTICED_WITHIN_MS = 10_000;

describe('a silent partition (no TCP reset) while a message waits', () => {
  let server: Started;
  let proxy: FaultProxy;
  let alice: Session;
  let bob: Session;
  let a: ImClient;
  let b: ImClient;
  let aStore: DexieStorage;
  let bStore: DexieStorage;

  beforeAll(async () => {
    // The default policy: the attempt timeout is what a real device waits.
    server = await startServer({ clientPolicy: { ...DEFAULT_CLIENT_POLICY } });
    proxy = await createFaultProxy(server.url);
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
    aStore = storageFor(alice);
    bStore = storageFor(bob);
    // Alice is behind the proxy (her link will go silent); Bob is not.
    a = await startClient(proxy.url, alice, { storage: aStore });
    b = await startClient(server.url, bob, { storage: bStore });
    await Promise.all([connected(a), connected(b)]);
  });

  afterAll(async () => {
    a.close();
    b.close();
    aStore.close();
    bStore.close();
    await proxy.close();
    await server.close();
  });

  it(`is noticed within ${NOTICED_WITHIN_MS / 1000} s (connecting), and the message arrives once after`, async () => {
    const shown = countIncoming(b);
    const heal = proxy.partition();
    const noticed = nextEvent(a, 'connection', (s) => s === 'connecting', NOTICED_WITHIN_MS);
    const started = Date.now();
    const message = await a.send(bob.userId, 'across a dead link');
    await noticed;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(NOTICED_WITHIN_MS);
    // The link looked up the whole time: nothing reached the server.
    expect(proxy.seenFor('msg:R', message.id)).toBeGreaterThanOrEqual(1);
    expect(await aStore.get(message.key)).toMatchObject({ status: 'pending' });
    expect(proxy.seen.get('ping:R')).toBeGreaterThanOrEqual(1);
    process.stdout.write(`silent partition noticed after ${elapsed} ms\n`);

    heal();
    await statusReached(a, aStore, message.id, 'delivered', 20_000);
    const history = await b.history(b.conversationWith(alice.userId), { limit: 50 });
    expect(history.filter((m) => m.id === message.id)).toHaveLength(1);
    expect(shown.get(message.key)).toBe(1);
    expect(a.connection).toBe('connected');
  });
});
