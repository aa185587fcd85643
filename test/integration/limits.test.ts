import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../protocol';
import { PasswordHasher, scryptDerive, type Derive } from '../../server/passwords';
import { newUser } from '../support/clients';
import { ask, rawConnect, type RawSocket } from '../support/raw';
import { FAST_SCRYPT, startServer, tempDir } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/** A clock the test moves by hand, so limits need no sleeping. */
function manualClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

interface Answer {
  ok: boolean;
  error?: { code: string; message: string; retryAfterMs?: number };
  seq?: number;
  messages?: { id: string; from: string }[];
}

/** Posts JSON (with `headers`); resolves with the status, the Retry-After header and the body. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: r.status,
    retryAfter: r.headers.get('retry-after'),
    json: (await r.json()) as { error?: { code: string; retryAfterMs?: number } },
  };
}

const msg = (id: string, to: string) => ({ id, to, body: `body of ${id}` });

/** Connects and remembers the socket for closing after the test. */
const opened: RawSocket[] = [];
async function connect(url: string, session: Session): Promise<RawSocket> {
  const socket = await rawConnect(url, session.token, 2);
  opened.push(socket);
  return socket;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

/** Resolves with the connect_error of a refused handshake. */
function refused(url: string, session: Session) {
  return rawConnect(url, session.token, 2).then(
    (s) => {
      opened.push(s);
      throw new Error('the handshake was accepted');
    },
    (error: Error & { data?: { retryAfterMs?: number } }) => error,
  );
}

describe('message rate per user', () => {
  const clock = manualClock();
  let server: Started;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  beforeAll(async () => {
    server = await startServer({ rateLimit: 5, clock: clock.now });
    [alice, bob, carol] = await Promise.all([
      newUser(server.url, 'alice'),
      newUser(server.url, 'bob'),
      newUser(server.url, 'carol'),
    ]);
  });
  afterAll(() => server.close());

  it('lets a burst of 10×N through, then refuses with rate_limited; others, pings and duplicates are free', async () => {
    const a = await connect(server.url, alice);
    const b = await connect(server.url, bob);
    const c = await connect(server.url, carol);
    for (let i = 0; i < 50; i++) {
      expect(await ask(a, 'msg:R', msg(`r${i}`, carol.userId))).toMatchObject({ ok: true });
    }
    const refusedAnswer = (await ask(a, 'msg:R', msg('r50', carol.userId))) as Answer;
    expect(refusedAnswer).toEqual({
      ok: false,
      error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: 200 },
    });
    // A retransmission of a stored message costs nothing and is answered as before.
    const again = (await ask(a, 'msg:R', msg('r7', carol.userId))) as Answer;
    expect(again).toMatchObject({ ok: true, seq: 8 });
    expect(await ask(a, 'ping:R', {})).toEqual({ ok: true });
    // Another person is not affected.
    expect(await ask(b, 'msg:R', msg('b0', carol.userId))).toMatchObject({ ok: true });
    // The refused message was not stored: carol has r0..r49 and b0.
    const page = (await ask(c, 'offline:R', { limit: 500 })) as Answer;
    expect(page.messages!.map((m) => m.id)).not.toContain('r50');
    expect(page.messages).toHaveLength(51);
    // After the wait it asked for, the sender may send again.
    clock.advance(refusedAnswer.error!.retryAfterMs!);
    expect(await ask(a, 'msg:R', msg('r50', carol.userId))).toMatchObject({ ok: true });
    expect(await ask(a, 'msg:R', msg('r51', carol.userId))).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });
  });
});

describe('one flooding user does not delay another', () => {
  let server: Started;
  let flooder: Session;
  let bob: Session;
  let carol: Session;

  beforeAll(async () => {
    // Production limits (30 messages/s, bursts of 300; 64 requests in flight).
    server = await startServer({ rateLimit: undefined, maxInFlight: undefined });
    [flooder, bob, carol] = await Promise.all([
      newUser(server.url, 'flooder'),
      newUser(server.url, 'bob'),
      newUser(server.url, 'carol'),
    ]);
  });
  afterAll(() => server.close());

  it("delivers bob's message promptly while 2,000 messages are thrown at the server", async () => {
    const f = await connect(server.url, flooder);
    const b = await connect(server.url, bob);
    const c = await connect(server.url, carol);
    const flood = Array.from(
      { length: 2_000 },
      (_, i) => ask(f, 'msg:R', msg(`f${i}`, carol.userId)) as Promise<Answer>,
    );
    const started = performance.now();
    // carol receives flood messages too; wait for bob's.
    const fromBob = new Promise<void>((resolve) =>
      c.on('msg:N', (m) => {
        if (m.id === 'from-bob') resolve();
      }),
    );
    const answer = await ask(b, 'msg:R', msg('from-bob', carol.userId));
    expect(answer).toMatchObject({ ok: true });
    await fromBob;
    const latency = performance.now() - started;
    const answers = await Promise.all(flood);
    const accepted = answers.filter((x) => x.ok).length;
    const codes = new Set(answers.filter((x) => !x.ok).map((x) => x.error!.code));
    expect(accepted).toBeLessThanOrEqual(300 + 30 * 5);
    expect(accepted).toBeGreaterThanOrEqual(64);
    expect([...codes]).toEqual(['rate_limited']);
    for (const x of answers) if (!x.ok) expect(x.error!.retryAfterMs).toBeGreaterThan(0);
    expect(latency).toBeLessThan(2_000);
  });
});

describe('requests in flight per connection', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    server = await startServer({ maxInFlight: 4 });
    [alice, bob] = await Promise.all([newUser(server.url, 'alice'), newUser(server.url, 'bob')]);
  });
  afterAll(() => server.close());

  it('refuses requests beyond the cap with rate_limited, and frees the slots as answers go out', async () => {
    const a = await connect(server.url, alice);
    const burst = async (round: number) =>
      (await Promise.all(
        Array.from(
          { length: 200 },
          (_, i) => ask(a, 'msg:R', msg(`m${round}-${i}`, bob.userId)) as Promise<Answer>,
        ),
      )) as Answer[];
    for (const round of [0, 1]) {
      const answers = await burst(round);
      const ok = answers.filter((x) => x.ok).length;
      const limited = answers.filter((x) => x.error?.code === 'rate_limited');
      expect(ok).toBeGreaterThanOrEqual(4);
      expect(limited.length).toBeGreaterThan(0);
      expect(ok + limited.length).toBe(200);
      for (const x of limited) expect(x.error!.retryAfterMs).toBeGreaterThan(0);
    }
    // Sequential requests never hit the cap: every slot was given back.
    for (let i = 0; i < 10; i++) {
      expect(await ask(a, 'msg:R', msg(`seq${i}`, bob.userId))).toMatchObject({ ok: true });
    }
    // Another connection of the same person has its own slots.
    const a2 = await connect(server.url, alice);
    expect(await ask(a2, 'ping:R', {})).toEqual({ ok: true });
  });

  it('tells clients to send a heartbeat every 10 s with a 10 s timeout', async () => {
    // The Engine.IO handshake (an open packet, "0" + JSON) carries the heartbeat.
    const r = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    const open = JSON.parse((await r.text()).slice(1)) as Record<string, unknown>;
    expect(open).toMatchObject({ pingInterval: 10_000, pingTimeout: 10_000 });
  });

  it('answers an unknown event with unknown_event, and ping:R with ok', async () => {
    const a = await connect(server.url, alice);
    expect(await ask(a, 'no:such:event', { x: 1 })).toEqual({
      ok: false,
      error: { code: 'unknown_event', message: expect.stringContaining('no:such:event') },
    });
    expect(await ask(a, 'also-unknown')).toMatchObject({ error: { code: 'unknown_event' } });
    expect(await ask(a, 'ping:R', {})).toEqual({ ok: true });
    expect(await ask(a, 'ping:R')).toEqual({ ok: true });
  });
});

describe('connections per user', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    server = await startServer({ maxConnectionsPerUser: 3 });
    [alice, bob] = await Promise.all([newUser(server.url, 'alice'), newUser(server.url, 'bob')]);
  });
  afterAll(() => server.close());

  it('refuses the handshake beyond the cap with rate_limited and retryAfterMs', async () => {
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(await connect(server.url, alice));
    const error = await refused(server.url, alice);
    expect(error.message).toBe('rate_limited');
    expect(error.data?.retryAfterMs).toBeGreaterThan(0);
    // Another person connects as usual.
    expect(await ask(await connect(server.url, bob), 'ping:R', {})).toEqual({ ok: true });
    // A closed connection frees its place (retried as the server notices the close).
    sockets[0]!.close();
    let again: RawSocket | undefined;
    for (let attempt = 0; attempt < 200 && !again; attempt++) {
      again = await rawConnect(server.url, alice.token, 2).catch((e: Error) => {
        expect(e.message).toBe('rate_limited');
        return undefined;
      });
    }
    expect(again).toBeDefined();
    opened.push(again!);
  });
});

describe('undelivered messages per recipient', () => {
  // A clock that stands still: a count is re-read from the database only once.
  const clock = manualClock();
  const tmp = tempDir();
  let server: Started;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  afterAll(async () => {
    await server.close();
    tmp.remove();
  });

  it('refuses direct messages to a full inbox with inbox_full, one sender past a quarter of it too, until they are delivered; kept across restarts', async () => {
    // A quota of 20: each sender may fill 5 of it.
    server = await startServer({ inboxQuota: 20, dataDir: tmp.dir, clock: clock.now });
    [alice, bob, carol] = await Promise.all([
      newUser(server.url, 'alice'),
      newUser(server.url, 'bob'),
      newUser(server.url, 'carol'),
    ]);
    const others = await Promise.all(['dave', 'erin', 'frank'].map((p) => newUser(server.url, p)));
    const a = await connect(server.url, alice);
    const c = await connect(server.url, carol);
    for (let i = 0; i < 5; i++) {
      expect(await ask(a, 'msg:R', msg(`q${i}`, bob.userId))).toMatchObject({ ok: true });
    }
    const full = { ok: false, error: { code: 'inbox_full', message: expect.any(String) } };
    // Alice has filled her share; Carol can still write to Bob.
    const answer = (await ask(a, 'msg:R', msg('q5', bob.userId))) as Answer;
    expect(answer).toMatchObject(full);
    expect(answer.error!.message).toMatch(/you have too many/);
    expect(answer.error!.retryAfterMs).toBeGreaterThan(0);
    expect(await ask(c, 'msg:R', msg('c0', bob.userId))).toMatchObject({ ok: true });
    for (const other of others) {
      const o = await connect(server.url, other);
      for (let i = 0; i < 5; i++) {
        const to = i === 4 && other === others[2] ? 'skip' : bob.userId;
        if (to === 'skip') continue;
        expect(await ask(o, 'msg:R', msg(`o${i}`, to))).toMatchObject({ ok: true });
      }
      o.close();
    }
    // 5 + 1 + 5 + 5 + 4 = 20: the inbox itself is full now, for everyone.
    const whole = (await ask(c, 'msg:R', msg('c1', bob.userId))) as Answer;
    expect(whole).toMatchObject(full);
    expect(whole.error!.message).toMatch(/the recipient has too many/);
    // A retransmission of a stored one is answered; other recipients and groups are not limited.
    expect(await ask(a, 'msg:R', msg('q4', bob.userId))).toMatchObject({ ok: true, seq: 5 });
    expect(await ask(a, 'msg:R', msg('a-c', carol.userId))).toMatchObject({ ok: true });
    const group = (await ask(a, 'group:create', { name: 'g', members: [bob.userId] })) as {
      conv: string;
    };
    expect(await ask(a, 'msg:R', msg('g0', group.conv))).toMatchObject({ ok: true });

    // The counts are rebuilt from the database at start.
    a.close();
    c.close();
    await server.close();
    server = await startServer({ inboxQuota: 20, dataDir: tmp.dir, clock: clock.now });
    const a2 = await connect(server.url, alice);
    expect(await ask(a2, 'msg:R', msg('q5', bob.userId))).toMatchObject(full);

    // bob comes online and confirms one of Alice's: she has room again, for one.
    const b = await connect(server.url, bob);
    const page = (await ask(b, 'offline:R', { limit: 500 })) as Answer;
    const direct = page.messages!.filter((m) => m.from === alice.userId && m.id.startsWith('q'));
    expect(direct.map((m) => m.id)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(await ask(b, 'ack:R', { from: alice.userId, id: 'q0' })).toEqual({ ok: true });
    expect(await ask(a2, 'msg:R', msg('q5', bob.userId))).toMatchObject({ ok: true });
    expect(await ask(a2, 'msg:R', msg('q6', bob.userId))).toMatchObject(full);
    const ids = direct.slice(1).map(({ from, id }) => ({ from, id }));
    expect(await ask(b, 'offlineack:R', { ids })).toEqual({ ok: true });
    expect(await ask(a2, 'msg:R', msg('q6', bob.userId))).toMatchObject({ ok: true });
  });
});

describe('lock-outs that cannot be aimed at someone', () => {
  const clock = manualClock();
  let server: Started;
  let owner: Session;
  /** As if from `address`, through the trusted reverse proxy (this machine). */
  const from = (address: string) => ({ 'x-forwarded-for': address });

  beforeAll(async () => {
    server = await startServer({
      clock: clock.now,
      trustProxy: ['127.0.0.1', '::1'],
      loginLimits: { perUsername: 5, perAddress: 50, registrationBurst: 0 },
    });
    owner = await newUser(server.url, 'owner');
  });
  afterAll(() => server.close());

  it("failures with someone's name from another machine never keep them out", async () => {
    const attacker = from('10.0.0.66');
    // Junk reset codes, then wrong passwords, for the owner's name: the attacker is slowed down…
    const junk = [];
    for (let i = 0; i < 12; i++) {
      junk.push(
        await post(
          `${server.url}/api/password/reset`,
          {
            username: owner.username,
            code: `junk-code-${i}-abcdefghij`,
            newPassword: 'whatever pw',
          },
          attacker,
        ),
      );
    }
    expect(
      junk.map((r) => r.status),
      JSON.stringify(junk.map((r) => r.json)),
    ).toContain(429);
    const guesses = [];
    for (let i = 0; i < 6; i++) {
      guesses.push(
        await post(
          `${server.url}/api/login`,
          { username: owner.username, password: 'nope nope' },
          attacker,
        ),
      );
    }
    expect(guesses.at(-1)!.status, JSON.stringify(guesses.map((r) => r.json))).toBe(429);
    // …the owner, from their own machine, is not: at once, every time.
    for (let i = 0; i < 3; i++) {
      const signedIn = await post(
        `${server.url}/api/login`,
        { username: owner.username, password: 'correct horse battery' },
        from('10.0.0.5'),
      );
      expect(signedIn.status).toBe(200);
    }
  });

  it('one address guessing many names is throttled by its address', async () => {
    const names = await Promise.all(Array.from({ length: 3 }, () => newUser(server.url, 'n')));
    const answers = [];
    for (let i = 0; i < 60; i++) {
      const name = names[i % names.length]!.username;
      answers.push(
        await post(
          `${server.url}/api/login`,
          { username: name, password: `guess number ${i}` },
          from('10.0.0.77'),
        ),
      );
    }
    expect(answers.slice(50).every((r) => r.status === 429)).toBe(true);
  });

  it('a forwarded address counts only from a trusted proxy', async () => {
    const plain = await startServer({
      clock: clock.now,
      loginLimits: { perUsername: 5, perAddress: 5, registrationBurst: 0 },
    });
    try {
      const someone = await newUser(plain.url, 'someone');
      // Each request claims another address: all count as this machine's.
      const answers = [];
      for (let i = 0; i < 8; i++) {
        answers.push(
          await post(
            `${plain.url}/api/login`,
            { username: someone.username, password: 'nope nope' },
            from(`10.9.0.${i}`),
          ),
        );
      }
      expect(answers.at(-1)!.status).toBe(429);
    } finally {
      await plain.close();
    }
  });
});

describe('bounded password hashing and registrations', () => {
  const clock = manualClock();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let started = 0;
  /** scrypt that waits until the test opens the gate. */
  const gated: Derive = async (password, salt, params) => {
    started++;
    await gate;
    return scryptDerive(password, salt, params);
  };
  let server: Started;

  beforeAll(async () => {
    server = await startServer({
      clock: clock.now,
      passwordHasher: new PasswordHasher(FAST_SCRYPT, {
        concurrency: 1,
        maxQueue: 2,
        derive: gated,
      }),
      loginLimits: { perUsername: 1, perAddress: 10_000, registrationBurst: 2 },
    });
  });
  afterAll(() => {
    open();
    return server.close();
  });

  const signIn = (username: string) =>
    post(`${server.url}/api/login`, { username, password: 'whatever pw' });

  it('answers 503 unavailable with Retry-After when the hash queue is full, without counting the attempt', async () => {
    const names = ['user1', 'user2', 'user3', 'user4', 'user5', 'user6'];
    const results: (Awaited<ReturnType<typeof signIn>> | undefined)[] = [];
    let threeSettled!: () => void;
    const settledThree = new Promise<void>((resolve) => (threeSettled = resolve));
    const all = names.map((n, i) =>
      signIn(n).then((r) => {
        results[i] = r;
        if (results.filter(Boolean).length === 3) threeSettled();
        return r;
      }),
    );
    // One is hashing and two wait; the other three are refused at once.
    await settledThree;
    const refusedNow = results.flatMap((r, i) => (r ? [{ r, name: names[i]! }] : []));
    expect(started).toBe(1);
    for (const { r } of refusedNow) {
      expect(r.status).toBe(503);
      expect(r.json.error).toMatchObject({ code: 'unavailable' });
      expect(r.json.error!.retryAfterMs).toBeGreaterThan(0);
      expect(Number(r.retryAfter)).toBe(Math.ceil(r.json.error!.retryAfterMs! / 1000));
    }
    open();
    const final = await Promise.all(all);
    expect(final.filter((r) => r.status === 401)).toHaveLength(3);
    // A refused attempt was never checked, so it did not count (perUsername is 1).
    for (const { name } of refusedNow) expect((await signIn(name)).status).toBe(401);
    expect(started).toBe(6);
  });

  it('limits registrations per address', async () => {
    const reg = (username: string) =>
      post(`${server.url}/api/register`, { username, password: 'a long password' });
    expect((await reg('new1')).status).toBe(201);
    expect((await reg('new2')).status).toBe(201);
    const limited = await reg('new3');
    expect(limited.status).toBe(429);
    expect(limited.json.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 120_000 });
    expect(limited.retryAfter).toBe('120');
    clock.advance(120_000);
    expect((await reg('new3')).status).toBe(201);
  });
});
