import { afterEach, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ImClient, Throttle } from '../../client/imClient';
import type { StoredMessage } from '../../client/storage';
import type { Session } from '../../protocol';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import {
  connected,
  countIncoming,
  newUser,
  nextEvent,
  startClient,
  storageFor,
  until,
} from '../support/clients';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/** A short policy: the retry budget (150 + 300 ms) is far below any throttle. */
const POLICY = { ackTimeoutMs: 150, maxAttempts: 2 };

describe('throttling by the server is waited out, never a failure', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function server(options: Parameters<typeof startServer>[0]): Promise<Started> {
    const s = await startServer({ clientPolicy: POLICY, ...options });
    cleanup.push(() => s.close());
    return s;
  }

  async function engine(url: string, session: Session, name: string): Promise<ImClient> {
    const storage: DexieStorage = storageFor(session, `${name}-${session.deviceId}`);
    const client = await startClient(url, session, { storage });
    cleanup.push(() => storage.close());
    cleanup.push(() => client.close());
    return client;
  }

  /** Every status event of `client`, and the throttles it reported. */
  function record(client: ImClient) {
    const statuses: StoredMessage[] = [];
    const throttles: (Throttle | undefined)[] = [];
    client.events.on('status', (m) => statuses.push(m));
    client.events.on('throttled', (t) => throttles.push(t));
    return { statuses, throttles };
  }

  it('rate_limited: waits retryAfterMs and sends the same id again; all delivered once, none failed', async () => {
    // 0.5 messages a second, bursts of 5: a refused one waits about 2 s.
    const s = await server({ rateLimit: 0.5 });
    const alice = await newUser(s.url, 'alice');
    const bob = await newUser(s.url, 'bob');
    const a = await engine(s.url, alice, 'a');
    const b = await engine(s.url, bob, 'b');
    await Promise.all([connected(a), connected(b)]);
    const shown = countIncoming(b);
    const seen = record(a);
    // A burst of 5 passes, the rest are told to wait.
    const sent = await Promise.all(
      Array.from({ length: 7 }, (_, i) => a.send(bob.userId, `burst ${i}`)),
    );
    const ids = new Set(sent.map((m) => m.id));
    const delivered = new Set<string>();
    await until(
      [a],
      () => {
        for (const m of seen.statuses) if (m.status === 'delivered') delivered.add(m.id);
        return delivered.size === ids.size && a.throttled === undefined;
      },
      'every message delivered and no throttle left',
    );
    expect(seen.statuses.filter((m) => m.status === 'failed')).toEqual([]);
    expect(seen.throttles[0]).toMatchObject({ code: 'rate_limited', to: bob.userId });
    expect(seen.throttles[0]!.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(seen.throttles.at(-1)).toBeUndefined();
    for (const m of sent) expect(shown.get(m.key)).toBe(1);
    const history = await b.history(b.conversationWith(alice.userId), { limit: 100 });
    expect(history.filter((m) => ids.has(m.id))).toHaveLength(7);
  });

  it('inbox_full: the message waits (not failed) and goes once the recipient has room', async () => {
    // One sender may fill a quarter of a recipient's inbox: two of eight.
    const s = await server({ inboxQuota: 8 });
    const proxy: FaultProxy = await createFaultProxy(s.url);
    cleanup.push(() => proxy.close());
    const alice = await newUser(s.url, 'alice');
    const bob = await newUser(s.url, 'bob');
    const a = await engine(proxy.url, alice, 'a');
    await connected(a);
    const seen = record(a);
    // Bob is away: two messages fill Alice's share of his inbox.
    for (const body of ['one', 'two']) {
      const m = await a.send(bob.userId, body);
      await nextEvent(a, 'status', (x) => x.id === m.id && x.status === 'stored');
    }
    const throttled = nextEvent(a, 'throttled', (t) => t !== undefined);
    const third = await a.send(bob.userId, 'three');
    expect(await throttled).toEqual({ code: 'inbox_full', to: bob.userId, retryAfterMs: 30_000 });
    expect(a.throttled).toEqual({ code: 'inbox_full', to: bob.userId, retryAfterMs: 30_000 });

    // Bob comes online and takes his messages: the inbox has room again.
    const b = await engine(s.url, bob, 'b');
    const shown = countIncoming(b);
    await until(
      [a],
      () => seen.statuses.filter((m) => m.status === 'delivered').length === 2,
      'two delivered',
    );
    // A reconnect sends it at once (instead of after the 30 s the server asked for).
    proxy.cutAll();
    await until(
      [a],
      () => seen.statuses.some((m) => m.id === third.id && m.status === 'delivered'),
      'the third delivered',
    );
    expect(seen.statuses.filter((m) => m.status === 'failed')).toEqual([]);
    expect(seen.throttles.at(-1)).toBeUndefined();
    expect(a.throttled).toBeUndefined();
    expect(shown.get(third.key)).toBe(1);
  });

  it('a connection refused as rate_limited is tried again after retryAfterMs', async () => {
    const s = await server({ maxConnectionsPerUser: 1 });
    const alice = await newUser(s.url, 'alice');
    const first = await engine(s.url, alice, 'first');
    await connected(first);
    const second = await engine(s.url, alice, 'second');
    const refused = await nextEvent(second, 'error', (e) => String(e).includes('rate_limited'));
    const refusedAt = Date.now();
    expect(String(refused)).toMatch(/rate_limited for 5000 ms/);
    // Refused: the engine says it is still trying, not offline.
    expect(second.connection).toBe('connecting');
    // Room at once, but the engine waits what the server asked (5 s), not its usual 200 ms.
    first.close();
    await connected(second);
    const waited = Date.now() - refusedAt;
    expect(waited).toBeGreaterThanOrEqual(4_500);
    expect(waited).toBeLessThan(7_000);
  });
});
