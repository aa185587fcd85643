import { afterEach, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import { startChildServer, type ChildServer } from '../support/childServer';
import {
  connected,
  countIncoming,
  newDevice,
  newUser,
  nextEvent,
  startClient,
  statusReached,
  storageFor,
  until,
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

  /** A child server behind a fault proxy; `env` only for its first start (a fault to inject). */
  async function serverAndProxy(env: NodeJS.ProcessEnv = {}) {
    const tmp = tempDir();
    const args = ['--host', '127.0.0.1', '--data', tmp.dir, '--log-level', 'warn', ...POLICY_ARGS];
    let server: ChildServer = await startChildServer([...args, '--port', '0'], {
      ...FAST_HASH,
      ...env,
    });
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

  it('never shows what the log might not hold: the server dies after storing a message, before its commit, and stays down past the retry budget', async () => {
    // The fault: the writer holds the commit of the batch storing a message
    // with this text, and the process is SIGKILLed once that batch has run.
    const env = await serverAndProxy({
      TICKLINE_FAULT_KILL_BEFORE_COMMIT: 'dies before its commit',
    });
    const alice = await newUser(env.server.url, 'alice');
    const bob = await newUser(env.server.url, 'bob');
    // A short retry budget, so that the server stays down longer than it.
    const policy = { ackTimeoutMs: 100, maxAttempts: 3 };
    const aStore = storageFor(alice);
    const a = await startClient(env.proxy.url, alice, { storage: aStore, policy });
    cleanups.push(() => {
      a.close();
      aStore.close();
    });
    const b = await client(env.proxy, bob);
    const shown = countIncoming(b.c);
    await Promise.all([connected(a), connected(b.c)]);
    const before = await a.send(bob.userId, 'first, durable');
    await statusReached(a, aStore, before.id, 'delivered');

    const exited = new Promise<unknown>((resolve) => env.server.process.once('exit', resolve));
    const doomed = await a.send(bob.userId, 'dies before its commit');
    await exited;
    // Down past the budget: Alice's copy turns failed, and Bob was shown nothing.
    expect((await statusReached(a, aStore, doomed.id, 'failed')).seq).toBeUndefined();
    expect(shown.has(doomed.key)).toBe(false);
    expect(await b.store.get(doomed.key)).toBeUndefined();
    expectLogged(env.dataDir, alice.userId, [{ id: before.id, body: before.body, seq: 1 }]);

    // Back up: Bob writes first and takes seq 2; Alice resends hers, stored at seq 3.
    await env.restart();
    const answer = await b.c.send(alice.userId, 'meanwhile, seq 2 is mine');
    expect((await statusReached(b.c, b.store, answer.id, 'delivered')).seq).toBe(2);
    expect(await a.resend(doomed.id)).toBe(true);
    expect((await statusReached(a, aStore, doomed.id, 'delivered')).seq).toBe(3);
    const log = [
      ['first, durable', 1],
      ['meanwhile, seq 2 is mine', 2],
      ['dies before its commit', 3],
    ];
    expect(
      serverMessages(env.dataDir)
        .map((r) => [r.body, r.seq])
        .sort((x, y) => Number(x[1]) - Number(y[1])),
    ).toEqual(log);
    // Each of Bob's devices — the one that was up, and one signed in now — holds
    // the server's log exactly: each message once, no seq twice, the same unread count.
    const b2Session = await newDevice(env.server.url, bob);
    const b2Store = storageFor(b2Session, `crash-b2-${b2Session.deviceId}`);
    const b2 = await startClient(env.proxy.url, b2Session, { storage: b2Store });
    cleanups.push(() => {
      b2.close();
      b2Store.close();
    });
    const conv = b.c.conversationWith(alice.userId);
    for (const [engine, store] of [
      [b.c, b.store],
      [b2, b2Store],
    ] as const) {
      await until(
        [engine],
        async () => (await engine.history(conv, { limit: 10 })).length === 3,
        'the device holds the three messages',
      );
      const history = (await engine.history(conv, { limit: 10 })).reverse();
      expect(history.map((m) => [m.body, m.seq])).toEqual(log);
      expect((await store.conversation(conv))?.unread).toBe(2);
    }
    expect(shown.get(doomed.key)).toBe(1);
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
