import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import { messageKey } from '../../client/storage';
import type { ConversationId, Session } from '../../protocol';
import {
  connected,
  countIncoming,
  devices,
  newDevice,
  newUser,
  startClient,
  storageFor,
  until,
} from '../support/clients';
import { ask, rawSockets, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * A message is named by `(sender, id)`, never by `id` alone: ids are the
 * sender's choice, so two people may pick the same one (a wire-v1 client, a
 * hostile colleague). Two senders use the same id in one conversation; each
 * message must reach the recipient once, with its own text, through every
 * path: live pushes, one catch-up page, one history page, and a restart.
 */
describe('identity is (sender, id)', () => {
  let server: Started;
  const sockets = rawSockets(() => server.url);
  const { engine, storageOf, closeAll } = devices(() => server.url);

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 6 } });
  });
  afterEach(() => {
    closeAll();
    sockets.closeAll();
  });
  afterAll(() => server.close());

  const raw = (session: Session) => sockets.connect(session);

  /** Alice and Bob each send `id` to `to`, with their own text. */
  async function sameId(alice: RawSocket, bob: RawSocket, to: string, id: string) {
    expect(await ask(alice, 'msg:R', { id, to, body: `alice's ${id}` })).toMatchObject({
      ok: true,
    });
    expect(await ask(bob, 'msg:R', { id, to, body: `bob's ${id}` })).toMatchObject({ ok: true });
  }

  /** What `client` holds of `conv`, oldest first, as `from: body`. */
  async function held(client: ImClient, conv: ConversationId): Promise<string[]> {
    const page = await storageOf(client).history(conv, { limit: 1_000 });
    return page.reverse().map((m) => `${m.from}: ${m.body}`);
  }

  async function people() {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((p) => newUser(server.url, p)),
    );
    return { alice: alice!, bob: bob!, carol: carol! };
  }

  it('in one catch-up page and one history page of a group, and after a restart', async () => {
    const { alice, bob, carol } = await people();
    const a = await raw(alice);
    const creator = await engine(alice);
    const conv = await creator.createGroup('Same ids', [bob.userId, carol.userId]);
    const b = await raw(bob);
    // Carol is away: both wait for her, in one catch-up page.
    await sameId(a, b, conv, 'm1');
    await sameId(a, b, conv, 'm2');
    const expected = [
      `${alice.userId}: alice's m1`,
      `${bob.userId}: bob's m1`,
      `${alice.userId}: alice's m2`,
      `${bob.userId}: bob's m2`,
    ];
    const c = await engine(carol);
    const shown = countIncoming(c);
    await until([c], async () => (await held(c, conv)).length === 5, 'carol caught up');
    expect((await held(c, conv)).slice(1)).toEqual(expected);
    for (const from of [alice, bob]) {
      for (const id of ['m1', 'm2']) expect(shown.get(messageKey(from.userId, id))).toBe(1);
    }
    // Each confirmed apart: every one of the four reached her (the server's word).
    await c.acksSettled();
    await c.settled();
    for (const [sender, socket] of [
      [alice, a],
      [bob, b],
    ] as const) {
      for (const id of ['m1', 'm2']) {
        const info = (await ask(socket, 'info:R', { conv, id })) as {
          recipients: { userId: string; deliveredAt?: number }[];
        };
        const toCarol = info.recipients.find((r) => r.userId === carol.userId);
        expect(toCarol?.deliveredAt, `${sender.username}'s ${id} reached carol`).toBeDefined();
      }
    }
    // A new device of Carol's gets them from one history page.
    const fresh = await engine(carol, true);
    await until([fresh], async () => (await held(fresh, conv)).length === 5, 'history loaded');
    expect((await held(fresh, conv)).slice(1)).toEqual(expected);
    // The first device restarts over the same database: still each once.
    const session = await newDevice(server.url, carol, 'restarted');
    const store = storageFor(session, `identity-${session.deviceId}`);
    const first = await startClient(server.url, session, { storage: store });
    await connected(first);
    await until(
      [first],
      async () => (await store.history(conv, { limit: 100 })).length === 5,
      'loaded',
    );
    first.close();
    const again = await startClient(server.url, session, { storage: store });
    await connected(again);
    await again.settled();
    const after = (await store.history(conv, { limit: 100 })).reverse();
    expect(after.slice(1).map((m) => `${m.from}: ${m.body}`)).toEqual(expected);
    again.close();
    store.close();
  });

  it('in live pushes to one person, direct and in a group', async () => {
    const { alice, bob, carol } = await people();
    const c = await engine(carol);
    const shown = countIncoming(c);
    const a = await raw(alice);
    const b = await raw(bob);
    await sameId(a, b, carol.userId, 'live');
    const creator = await engine(alice);
    const conv = await creator.createGroup('Live', [bob.userId, carol.userId]);
    await sameId(a, b, conv, 'live-group');
    await until(
      [c],
      async () =>
        [alice, bob].every(
          (p) =>
            shown.get(messageKey(p.userId, 'live')) === 1 &&
            shown.get(messageKey(p.userId, 'live-group')) === 1,
        ),
      'carol shows all four',
    );
    expect(await held(c, c.conversationWith(alice.userId))).toEqual([
      `${alice.userId}: alice's live`,
    ]);
    expect(await held(c, c.conversationWith(bob.userId))).toEqual([`${bob.userId}: bob's live`]);
    expect((await held(c, conv)).slice(1)).toEqual([
      `${alice.userId}: alice's live-group`,
      `${bob.userId}: bob's live-group`,
    ]);
    await c.acksSettled();
    const { states } = (await ask(a, 'status:R', { ids: ['live'] })) as {
      states: { state: string }[];
    };
    expect(states.map((s) => s.state)).toEqual(['delivered']);
  });
});
