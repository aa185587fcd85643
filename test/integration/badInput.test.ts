import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS, directConversationId, MAX_FRAME_BYTES, type Session } from '../../protocol';
import { newUser } from '../support/clients';
import { snapshotDatabase } from '../support/dbSnapshot';
import { ask, rawConnect, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/** A small deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POLLUTING = [
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
  JSON.parse('{"__proto__": null}'),
];

const NOT_STRINGS: unknown[] = [null, true, 0, -1, 1.5, {}, [], [1, 2, 3], { nested: [{}] }];
const BAD_IDS: unknown[] = ['', 'x'.repeat(65), 'bad id!', '../../etc/passwd', 'id\u0000nul', 'é'];

/** The events of wire-v1, sent from a wire-v1 connection; the others from a protocol-2 one. */
const WIRE_V1 = new Set(['msg:R', 'ack:R', 'offline:R', 'offlineack:R']);
/** Sent from the recipient's connection, where a valid one would change state. */
const CONFIRMATIONS = new Set(['ack:R', 'offlineack:R']);

/** Never a valid group name. */
const BAD_NAMES: unknown[] = [
  null,
  1,
  true,
  '',
  '   ',
  'x'.repeat(65),
  'a\u0000b',
  'tab\there',
  {},
  [],
];

/** Never a valid list of users to add or remove (nor of members, but for []). */
const BAD_USER_LISTS: unknown[] = [null, 'x', {}, [''], ['bad id!'], [42], Array(300).fill('u')];

/** Numbers that are never a valid `seq` or `limit`. */
const BAD_NUMBERS: unknown[] = [null, true, -1, 1.5, 1e300, '3', {}, [], NaN];

/**
 * The id of a stored message that looks like a number: an `id` sent as the
 * number finds it in SQLite (text affinity), so only validation refuses it.
 */
const NUMERIC_ID = '20261128';

/** A value that is wrong for field `key` of `event`. */
function badValue(event: string, key: string, rand: () => number): unknown {
  if (key === 'id' && rand() < 0.2) return Number(NUMERIC_ID);
  const pool: unknown[] =
    key === 'body'
      ? [...NOT_STRINGS, '']
      : key === 'seq' || key === 'limit'
        ? BAD_NUMBERS
        : key === 'name'
          ? BAD_NAMES
          : key === 'users'
            ? [...BAD_USER_LISTS, []]
            : key === 'members'
              ? BAD_USER_LISTS
              : key === 'ids' && event === 'status:R'
                ? [
                    ...NOT_STRINGS.filter((v) => !Array.isArray(v)),
                    [],
                    [''],
                    [42],
                    ['ok', 'bad id!'],
                  ]
                : key === 'ids'
                  ? [
                      ...NOT_STRINGS.filter((v) => !Array.isArray(v)),
                      [{ from: 'a' }],
                      [{ id: 'x' }],
                      ['x'],
                      Array.from({ length: 501 }, (_, i) => ({ from: 'a', id: `m${i}` })),
                    ]
                  : [...NOT_STRINGS, ...BAD_IDS, 'y'.repeat(100_000)];
  return pool[Math.floor(rand() * pool.length)];
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/**
 * A confirmation list that must be refused as a whole although it holds a
 * valid entry: without validation that entry would be applied.
 */
function badIds(rand: () => number, valid: unknown[]): unknown {
  const entry = valid[0];
  return pick(rand, [
    [entry, pick(rand, [null, 'x', {}, { from: 'a' }, { id: 'x' }, { from: '', id: 'x' }])],
    [{ ...(entry as object), id: Number(NUMERIC_ID) }],
    Array.from({ length: 501 }, () => entry),
    { 0: entry, length: 1 },
  ]);
}

/** A payload that must be refused: a valid packet with one field broken, or no object at all. */
function badPayload(event: string, rand: () => number, valid: Record<string, unknown>): unknown[] {
  const roll = rand();
  if (event === 'offlineack:R' && roll > 0.6) {
    return [{ ids: badIds(rand, valid.ids as unknown[]) }];
  }
  if (roll < 0.15) return [pick(rand, [null, 42, 'text', [], true, 'z'.repeat(50_000)])];
  // No payload at all; events whose payload is optional get `null` instead.
  if (roll < 0.2) return event === 'offline:R' || event === 'conv:list' ? [null] : [];
  const payload: Record<string, unknown> = { ...valid };
  const keys = Object.keys(valid);
  if (keys.length === 0) {
    // offline:R: only `limit` can be wrong; conv:list takes no field at all.
    payload.limit = pick(rand, [0, -5, 501, 1.5, '10', null, {}, [], 1e9]);
    return [payload];
  }
  const key = pick(rand, keys);
  if (roll < 0.4) delete payload[key];
  else payload[key] = badValue(event, key, rand);
  if (rand() < 0.3) Object.assign(payload, pick(rand, POLLUTING));
  return [payload];
}

/** An answer of the server to one request. */
type Answer = { ok: boolean; error?: { code: string; message: string; retryAfterMs?: number } };

/**
 * Asks, and when the server refuses a flood (`rate_limited`), asks again
 * after the wait it names, so that every payload reaches the validation.
 */
async function askPatiently(via: RawSocket, event: string, args: unknown[]): Promise<Answer> {
  for (;;) {
    const answer = (await ask(via, event, ...args)) as Answer;
    if (answer.error?.code !== 'rate_limited') return answer;
    await new Promise((resolve) => setTimeout(resolve, answer.error?.retryAfterMs ?? 100));
  }
}

describe('bad input', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;
  let socket: RawSocket;
  /** A protocol-2 connection, for the events wire-v1 does not have. */
  let modern: RawSocket;
  /** Bob's connection: the recipient, whose confirmations would change state. */
  let recipient: RawSocket;
  let group: string;

  /**
   * The whole database once every write queued before now is committed: an
   * `offline:R` goes through the commit queue behind them (the `ack:R` write
   * is not awaited before its answer).
   */
  async function snapshot(): Promise<string> {
    expect(await ask(recipient, 'offline:R', {})).toMatchObject({ ok: true });
    return snapshotDatabase(server.dataDir);
  }

  beforeAll(async () => {
    server = await startServer();
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
    socket = await rawConnect(server.url, alice.token);
    modern = await rawConnect(server.url, alice.token, 2);
    recipient = await rawConnect(server.url, bob.token);
    // Stored messages bob has not confirmed, so that conflicts and acks have something to
    // hit (one with an id that looks like a number); a group.
    for (const id of ['base', NUMERIC_ID]) {
      expect(await ask(socket, 'msg:R', { id, to: bob.userId, body: id })).toMatchObject({
        ok: true,
      });
    }
    const created = (await ask(modern, 'group:create', {
      name: 'Team',
      members: [bob.userId],
    })) as {
      conv: string;
    };
    group = created.conv;
  });
  afterAll(async () => {
    socket.close();
    modern.close();
    recipient.close();
    await server.close();
  });

  const VALID: Record<string, () => Record<string, unknown>> = {
    'msg:R': () => ({ id: 'fresh-id', to: bob.userId, body: 'hello' }),
    'ack:R': () => ({ from: alice.userId, id: NUMERIC_ID }),
    'offline:R': () => ({}),
    'offlineack:R': () => ({ ids: [{ from: alice.userId, id: NUMERIC_ID }] }),
    'conv:list': () => ({}),
    'history:R': () => ({ conv: directConversationId(alice.userId, bob.userId) }),
    'read:R': () => ({ conv: directConversationId(alice.userId, bob.userId), seq: 1 }),
    'status:R': () => ({ ids: ['base'] }),
    'typing:R': () => ({ conv: directConversationId(alice.userId, bob.userId) }),
    'info:R': () => ({ conv: directConversationId(alice.userId, bob.userId), id: 'base' }),
    'group:create': () => ({ name: 'New team', members: [bob.userId] }),
    'group:rename': () => ({ conv: group, name: 'Renamed' }),
    'group:add': () => ({ conv: group, users: [bob.userId] }),
    'group:remove': () => ({ conv: group, users: [bob.userId] }),
    'group:admin': () => ({ conv: group, users: [bob.userId] }),
    'group:leave': () => ({ conv: group }),
    'group:info': () => ({ conv: group }),
  };

  for (const event of CLIENT_EVENTS) {
    it(`${event}: 300 malformed payloads each get an error and change nothing`, async () => {
      const before = await snapshot();
      const rand = prng(event.length * 7919);
      const codes = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const args = badPayload(event, rand, VALID[event]!());
        const via = CONFIRMATIONS.has(event) ? recipient : WIRE_V1.has(event) ? socket : modern;
        const answer = await askPatiently(via, event, args);
        expect(answer.ok, JSON.stringify(args).slice(0, 200)).toBe(false);
        expect(typeof answer.error?.message).toBe('string');
        codes.set(answer.error!.code, (codes.get(answer.error!.code) ?? 0) + 1);
      }
      expect([...codes.keys()].every((c) => ['invalid_input', 'too_large'].includes(c))).toBe(true);
      expect(codes.get('invalid_input')).toBeGreaterThan(100);
      expect(await snapshot()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('ack:R and offlineack:R from the recipient: well-formed confirmations of what is not theirs change nothing', async () => {
    // A message of alice's for someone else: it exists, but bob cannot confirm it.
    const carol = await newUser(server.url, 'carol');
    expect(
      await ask(socket, 'msg:R', { id: 'for-carol', to: carol.userId, body: 'not for bob' }),
    ).toMatchObject({ ok: true });
    const before = await snapshot();
    const wrong = [
      { from: alice.userId, id: 'for-carol' },
      { from: bob.userId, id: 'base' }, // bob's own: there is none
      { from: alice.userId, id: 'BASE' }, // ids are case-sensitive
      { from: alice.userId.toUpperCase(), id: 'base' },
      { from: alice.userId, id: 'nothing' },
      { from: 'nobody', id: 'base' },
    ];
    for (const payload of wrong) {
      expect(await askPatiently(recipient, 'ack:R', [payload])).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    }
    // Unknown confirmations in a batch are skipped: answered, nothing recorded.
    expect(await askPatiently(recipient, 'offlineack:R', [{ ids: wrong }])).toMatchObject({
      ok: true,
    });
    // Alice, the sender, cannot confirm her own message for bob.
    expect(await askPatiently(socket, 'ack:R', [{ from: alice.userId, id: 'base' }])).toMatchObject(
      { ok: false, error: { code: 'not_found' } },
    );
    expect(await snapshot()).toBe(before);
  });

  it('refuses oversized bodies, unknown recipients, conflicts and strangers without changes', async () => {
    const before = await snapshot();
    const refusals: [unknown, string][] = [
      [{ id: 'big', to: bob.userId, body: 'a'.repeat(16_385) }, 'too_large'],
      [{ id: 'big2', to: bob.userId, body: '€'.repeat(5_462) }, 'too_large'], // 16,386 bytes
      [{ id: 'who', to: 'nobody-at-all', body: 'hi' }, 'unknown_recipient'],
      [{ id: 'base', to: bob.userId, body: 'not the same body' }, 'id_conflict'],
    ];
    for (const [payload, code] of refusals) {
      expect(await ask(socket, 'msg:R', payload)).toMatchObject({ ok: false, error: { code } });
    }
    expect(await ask(socket, 'ack:R', { from: bob.userId, id: 'nothing' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await snapshot()).toBe(before);
    // Exactly at the limit is accepted.
    expect(
      await ask(socket, 'msg:R', { id: 'limit', to: bob.userId, body: '€'.repeat(5_461) + 'a' }),
    ).toMatchObject({ ok: true });
  });

  it('positive control: one valid confirmation of each kind changes the snapshot', async () => {
    const before = await snapshot();
    expect(await ask(recipient, 'ack:R', { from: alice.userId, id: NUMERIC_ID })).toEqual({
      ok: true,
    });
    const acked = await snapshot();
    expect(acked).not.toBe(before);
    expect(
      await ask(recipient, 'offlineack:R', { ids: [{ from: alice.userId, id: 'base' }] }),
    ).toEqual({ ok: true });
    expect(await snapshot()).not.toBe(acked);
  });

  it('answers an unknown event with unknown_event and changes nothing', async () => {
    const before = await snapshot();
    expect(await ask(socket, 'no:such:event', { a: 1 })).toMatchObject({
      ok: false,
      error: { code: 'unknown_event' },
    });
    expect(await ask(recipient, 'ack', { from: alice.userId, id: NUMERIC_ID })).toMatchObject({
      ok: false,
      error: { code: 'unknown_event' },
    });
    expect(await snapshot()).toBe(before);
  });

  it('survives events without callbacks, unknown events, and a frame over the limit', async () => {
    const raw = socket as unknown as { emit: (...args: unknown[]) => void };
    raw.emit('msg:R', { id: 'no-callback', to: bob.userId, body: 'x' });
    raw.emit('ack:R');
    raw.emit('no:such:event', { a: 1 }, () => undefined);
    const victim = await rawConnect(server.url, alice.token);
    const closed = new Promise<string>((resolve) => victim.once('disconnect', resolve));
    (victim as unknown as { emit: (...args: unknown[]) => void }).emit(
      'msg:R',
      { id: 'huge', to: bob.userId, body: 'h'.repeat(MAX_FRAME_BYTES + 1024) },
      () => undefined,
    );
    expect(await closed).toBe('transport close');
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await ask(socket, 'offline:R', {})).toMatchObject({ ok: true });
  });
});
