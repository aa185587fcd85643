import { IDBKeyRange } from 'fake-indexeddb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DexieBackend } from '../../client/dexieStorage';
import { LogCache } from '../../client/logCache';
import { MemoryBackend } from '../../client/memoryStorage';
import { messageKey } from '../../client/storage';
import type { ConversationId, Session } from '../../protocol';
import {
  connected,
  countIncoming,
  fakeIndexedDb,
  newUser,
  startClient,
  statusReached,
  storageFor,
} from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { FaultyBackend } from '../support/faultyBackend';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/** A group that does not exist: asking about it is a round trip that changes nothing. */
const NO_GROUP = 'g:no-such-group' as ConversationId;

/**
 * "Stored before acknowledged": a device confirms a message (`ack:R`,
 * `offlineack:R`) or a read position (`read:R`) only once the write it
 * stands for has succeeded. The recipient's storage is made to fail those
 * writes; the proxy checks every confirmation against the recipient's
 * storage the moment it arrives, and the data must still arrive later.
 */
describe.each([
  ['memory', () => new MemoryBackend()],
  [
    'IndexedDB',
    () => new DexieBackend(`faulty-${Math.random()}`, { indexedDB: fakeIndexedDb, IDBKeyRange }),
  ],
])('stored before acknowledged (%s)', (_name, backendOf) => {
  let server: Started;
  let proxy: FaultProxy;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 8 } });
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

  /** Alice writes (her own storage); Bob's storage fails writes when told to. */
  async function people(bobOnline = true) {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const aStore = storageFor(alice, `sba-${alice.userId}`);
    const a = await startClient(proxy.url, alice, { storage: aStore });
    const faulty = new FaultyBackend(backendOf());
    const bStore = new LogCache(faulty);
    const errors: unknown[] = [];
    const startBob = async () => {
      const b = await startClient(proxy.url, bob, { storage: bStore });
      b.events.on('error', (e) => errors.push(e));
      cleanups.push(() => b.close());
      return b;
    };
    cleanups.push(() => {
      a.close();
      aStore.close();
    });
    await connected(a);
    const b = bobOnline ? await startBob() : undefined;
    if (b) await connected(b);
    return { alice, bob, a, aStore, b, bStore, faulty, errors, startBob };
  }

  /**
   * Checks, as each confirmation from `bob` reaches the server's side of the
   * proxy, that Bob's storage already holds what it confirms. Returns the
   * violations found (checked asynchronously; await `settled()` first).
   */
  function watchConfirmations(bob: Session, bStore: LogCache) {
    const checks: Promise<void>[] = [];
    const violations: string[] = [];
    const seen = { ackR: 0, offlineackR: 0, readR: 0 };
    proxy.rules.add((packet, args) => {
      const first = args[0] as Record<string, unknown> | undefined;
      if (packet === 'ack:R' && typeof first?.from === 'string' && typeof first.id === 'string') {
        seen.ackR++;
        const key = messageKey(first.from, first.id);
        checks.push(
          bStore.get(key).then((m) => {
            if (!m) violations.push(`ack:R ${key} before it was stored`);
          }),
        );
      }
      if (packet === 'offlineack:R' && Array.isArray(first?.ids)) {
        seen.offlineackR++;
        for (const ref of first.ids as { from: string; id: string }[]) {
          const key = messageKey(ref.from, ref.id);
          checks.push(
            bStore.get(key).then((m) => {
              if (!m) violations.push(`offlineack:R ${key} before it was stored`);
            }),
          );
        }
      }
      if (packet === 'read:R' && typeof first?.seq === 'number') {
        seen.readR++;
        const seq = first.seq;
        checks.push(
          bStore.conversation(first.conv as never).then((row) => {
            if ((row?.readSeq ?? 0) < seq) violations.push(`read:R ${seq} before it was stored`);
          }),
        );
      }
      return false;
    });
    void bob;
    return {
      seen,
      violations: async () => {
        await Promise.all(checks);
        return violations;
      },
    };
  }

  it('ack:R: a push whose write fails is not confirmed; it arrives later and is confirmed then', async () => {
    const { alice, bob, a, aStore, b, bStore, faulty, errors } = await people();
    const watch = watchConfirmations(bob, bStore);
    const shown = countIncoming(b!);
    faulty.failNext('putMessages', 3, (list) =>
      (list as { body: string }[]).some((m) => m.body === 'the first try fails'),
    );
    const sent = await a.send(bob.userId, 'the first try fails');
    await statusReached(a, aStore, sent.id, 'delivered');
    expect(faulty.failures.get('putMessages')).toBe(3);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect((await bStore.get(messageKey(alice.userId, sent.id)))?.body).toBe(sent.body);
    expect(shown.get(messageKey(alice.userId, sent.id))).toBe(1);
    expect(watch.seen.ackR + watch.seen.offlineackR).toBeGreaterThan(0);
    expect(await watch.violations()).toEqual([]);
  });

  it('offlineack:R: a catch-up page whose write fails is not confirmed; the next pass stores and confirms it', async () => {
    const { alice, bob, a, aStore, bStore, faulty, startBob } = await people(false);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await a.send(bob.userId, `while away ${i}`));
    for (const m of sent) await statusReached(a, aStore, m.id, 'stored');
    const watch = watchConfirmations(bob, bStore);
    faulty.failNext('putMessages', 2);
    const b = await startBob();
    for (const m of sent) await statusReached(a, aStore, m.id, 'delivered');
    expect(faulty.failures.get('putMessages')).toBe(2);
    expect(watch.seen.offlineackR).toBeGreaterThan(0);
    expect(await watch.violations()).toEqual([]);
    const history = await b.history(b.conversationWith(alice.userId), { limit: 10 });
    expect(history.map((m) => m.body).reverse()).toEqual(sent.map((m) => m.body));
  });

  it('read:R: a read position whose write fails is not sent; the next read sends it', async () => {
    const { alice, bob, a, aStore, b, bStore, faulty } = await people();
    const sent = await a.send(bob.userId, 'read me');
    await statusReached(a, aStore, sent.id, 'delivered');
    const conv = b!.conversationWith(alice.userId);
    const watch = watchConfirmations(bob, bStore);
    faulty.failNext('putConversation', 1);
    await expect(b!.markRead(conv)).rejects.toThrow(/injected storage failure/);
    // A round trip on Bob's connection after the failure: a read:R sent before it is seen by now.
    await expect(b!.groupInfo(NO_GROUP)).rejects.toMatchObject({ code: 'not_found' });
    expect(watch.seen.readR).toBe(0);
    expect((await aStore.get(sent.key))?.status).toBe('delivered');
    await b!.markRead(conv);
    await statusReached(a, aStore, sent.id, 'read');
    expect(watch.seen.readR).toBe(1);
    expect(await watch.violations()).toEqual([]);
    expect((await bStore.conversation(conv))?.readDirty).toBe(false);
  });
});
