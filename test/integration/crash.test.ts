import { afterEach, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import { startChildServer, type ChildServer } from '../support/childServer';
import {
  connected,
  countIncoming,
  newUser,
  nextEvent,
  startClient,
  statusReached,
  storageFor,
} from '../support/clients';
import { serverMessages } from '../support/dbSnapshot';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { tempDir } from '../support/servers';

const FAST_HASH = { TICKLINE_INSECURE_SCRYPT_LOG2N: '12' };
const POLICY_ARGS = ['--client-ack-timeout-ms', '150', '--client-max-attempts', '10'];

describe('crashes', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function serverAndProxy() {
    const tmp = tempDir();
    const args = ['--host', '127.0.0.1', '--data', tmp.dir, '--log-level', 'warn', ...POLICY_ARGS];
    let server: ChildServer = await startChildServer([...args, '--port', '0'], FAST_HASH);
    const proxy = await createFaultProxy(server.url);
    const restart = async () => {
      server = await startChildServer([...args, '--port', String(server.port)], FAST_HASH);
    };
    cleanups.push(async () => {
      await proxy.close();
      await server.stop();
      tmp.remove();
    });
    return {
      proxy,
      dataDir: tmp.dir,
      get server() {
        return server;
      },
      restart,
    };
  }

  async function client(
    proxy: FaultProxy,
    session: Awaited<ReturnType<typeof newUser>>,
    storage?: DexieStorage,
  ) {
    const store = storage ?? storageFor(session);
    const c = await startClient(proxy.url, session, { storage: store });
    cleanups.push(() => {
      c.close();
      store.close();
    });
    return { c, store };
  }

  /**
   * The server's log of one sender, straight from its database file: each of
   * `expected` exactly once, with the `seq` its msg:A gave it where known,
   * nothing else, and the conversation's `seq`s without gaps.
   */
  function expectLogged(
    dataDir: string,
    sender: string,
    expected: { id: string; body: string; seq?: number }[],
  ) {
    const rows = serverMessages(dataDir).filter((r) => r.from === sender);
    expect(rows.map((r) => r.id).sort()).toEqual(expected.map((m) => m.id).sort());
    for (const m of expected) {
      const row = rows.find((r) => r.id === m.id)!;
      expect(row.body).toBe(m.body);
      if (m.seq !== undefined) expect(row.seq, `seq of ${m.id}`).toBe(m.seq);
    }
    expect(rows.map((r) => r.seq).sort((x, y) => x - y)).toEqual(rows.map((_, i) => i + 1));
  }

  it('loses nothing when the server is SIGKILLed between msg:A and msg:N', async () => {
    const env = await serverAndProxy();
    const alice = await newUser(env.server.url, 'alice');
    const bob = await newUser(env.server.url, 'bob');
    const a = await client(env.proxy, alice);
    const b = await client(env.proxy, bob);
    const shown = countIncoming(b.c);
    await Promise.all([connected(a.c), connected(b.c)]);

    // msg:N never leaves: the server dies after acknowledging (msg:A) but before pushing.
    env.proxy.rules.add((packet) => packet === 'msg:N');
    const first = await a.c.send(bob.userId, 'stored before the crash');
    const promised = await statusReached(a.c, a.store, first.id, 'sent');
    expect(promised.seq).toBe(1);
    // More messages in flight, some of them without msg:A yet, when the kill comes.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.c.send(bob.userId, `burst ${i}`)),
    );
    await env.server.kill();
    env.proxy.rules.clear();
    await env.restart();

    for (const m of [first, ...burst]) await statusReached(a.c, a.store, m.id, 'delivered');
    // The server kept what it acknowledged under the seq it promised: a store that
    // forgot it at restart would take the retransmission as new and give another seq.
    const final = await Promise.all([first, ...burst].map((m) => a.store.get(m.key)));
    expectLogged(
      env.dataDir,
      alice.userId,
      final.map((m) => ({ id: m!.id, body: m!.body, seq: m!.seq })),
    );
    expect(final[0]!.seq).toBe(promised.seq);
    const history = await b.c.history(b.c.conversationWith(alice.userId), { limit: 100 });
    expect(history).toHaveLength(21);
    expect(new Set(history.map((m) => m.id)).size).toBe(21);
    for (const m of [first, ...burst]) expect(shown.get(m.key)).toBe(1);
  });

  it('holds what it acknowledged: sender gone after msg:A, server SIGKILLed, only the recipient connects', async () => {
    const env = await serverAndProxy();
    const alice = await newUser(env.server.url, 'alice');
    const bob = await newUser(env.server.url, 'bob');
    const aStore = storageFor(alice);
    const a = await startClient(env.proxy.url, alice, { storage: aStore });
    await connected(a);
    // bob is offline; alice's messages reach the server (msg:A) and she leaves for good.
    const sent = await Promise.all(
      Array.from({ length: 5 }, (_, i) => a.send(bob.userId, `kept by the server ${i}`)),
    );
    const promised = await Promise.all(sent.map((m) => statusReached(a, aStore, m.id, 'stored')));
    a.close();
    aStore.close();
    // No retransmission can hide a loss now: the server is the only copy.
    await env.server.kill();
    await env.restart();
    const logged = promised.map((m) => ({ id: m.id, body: m.body, seq: m.seq }));
    expectLogged(env.dataDir, alice.userId, logged);
    const b = await client(env.proxy, bob);
    const shown = countIncoming(b.c);
    await connected(b.c);
    expectLogged(env.dataDir, alice.userId, logged);
    const conv = b.c.conversationWith(alice.userId);
    while (shown.size < sent.length) await nextEvent(b.c, 'message');
    const history = await b.c.history(conv, { limit: 100 });
    expect(history.map((m) => m.body).reverse()).toEqual(sent.map((m) => m.body));
    expect([...shown.values()]).toEqual(sent.map(() => 1));
  });

  it('resends a pending outbox after the client engine restarts', async () => {
    const env = await serverAndProxy();
    const alice = await newUser(env.server.url, 'alice');
    const bob = await newUser(env.server.url, 'bob');
    const b = await client(env.proxy, bob);
    const shown = countIncoming(b.c);

    // Every msg:R is lost: the message stays pending in alice's outbox.
    env.proxy.rules.add((packet) => packet === 'msg:R');
    const first = await startClient(env.proxy.url, alice, { storage: storageFor(alice) });
    await connected(first);
    const lost = env.proxy.waitFor('msg:R');
    const message = await first.send(bob.userId, 'survives a restart');
    expect(await lost).toBe(true);
    first.close();
    env.proxy.rules.clear();

    // A new engine over the same IndexedDB database, as after an app restart.
    const a = await client(env.proxy, alice);
    const delivered = await statusReached(a.c, a.store, message.id, 'delivered');
    expect(delivered.body).toBe('survives a restart');
    const history = await b.c.history(b.c.conversationWith(alice.userId), { limit: 10 });
    expect(history.map((m) => m.id)).toEqual([message.id]);
    expect(shown.get(message.key)).toBe(1);
    expect(env.proxy.dropped.get('msg:R')).toBeGreaterThanOrEqual(1);
  });
});
