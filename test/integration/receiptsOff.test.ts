import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import type { ConversationId, Session } from '../../protocol';
import { devices, newUser, statusReached, until } from '../support/clients';
import { ask, rawSockets, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

interface Info {
  recipients: { userId: string; deliveredAt?: number; readAt?: number; receiptsOff?: true }[];
  readsHidden?: true;
}

/**
 * Read receipts off means off, both ways, for ever: a read made with them
 * off is never counted nor shown — not when they are turned on again —
 * Message info says "read receipts off" instead of a false "not read", and
 * a tick never contradicts Message info.
 */
describe('read receipts off', () => {
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

  async function setReceipts(session: Session, on: boolean): Promise<void> {
    const res = await fetch(`${server.url}/api/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readReceipts: on }),
    });
    expect(await res.json()).toEqual({ readReceipts: on });
  }

  const raw = (session: Session) => sockets.connect(session);

  const info = async (s: RawSocket, conv: ConversationId, id: string) =>
    (await ask(s, 'info:R', { conv, id })) as Info;
  const stateOf = async (s: RawSocket, id: string) =>
    (
      (await ask(s, 'status:R', { ids: [id] })) as {
        states: { state: string; receipt: { read: number } }[];
      }
    ).states[0];

  /** `reader` reads `conv` up to everything it has. */
  async function reads(reader: ImClient, conv: ConversationId, seq: number): Promise<void> {
    await until(
      [reader],
      async () => ((await reader.conversation(conv))?.lastSeq ?? 0) >= seq,
      `the reader has seq ${seq}`,
    );
    await reader.markRead(conv);
  }

  it('direct: a read made while off is never shown, also after they are on again; info never says "not read" falsely', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await engine(alice);
    const b = await engine(bob);
    const sa = await raw(alice);
    const conv = a.conversationWith(bob.userId);

    const d1 = await a.send(bob.userId, 'read with receipts on');
    await reads(b, conv, 1);
    await statusReached(a, storageOf(a), d1.id, 'read');

    await setReceipts(bob, false);
    const d2 = await a.send(bob.userId, 'not read yet, receipts off');
    await statusReached(a, storageOf(a), d2.id, 'delivered');
    // Unread and off: "not read" could turn false without anyone knowing.
    expect((await info(sa, conv, d2.id)).recipients[0]).toMatchObject({ receiptsOff: true });
    await reads(b, conv, 2);
    // Read while off: not shown, and the older read still is (tick and info agree on both).
    expect(await stateOf(sa, d2.id)).toMatchObject({ state: 'delivered', receipt: { read: 0 } });
    const i2 = (await info(sa, conv, d2.id)).recipients[0]!;
    expect(i2.readAt).toBeUndefined();
    expect(i2.receiptsOff).toBe(true);
    expect((await info(sa, conv, d1.id)).recipients[0]!.readAt).toBeGreaterThan(0);
    expect(await stateOf(sa, d1.id)).toMatchObject({ state: 'read' });

    // On again: what was read while off stays unshown for ever; new reads show.
    await setReceipts(bob, true);
    const d3 = await a.send(bob.userId, 'read with receipts on again');
    await statusReached(a, storageOf(a), d3.id, 'delivered');
    expect((await info(sa, conv, d3.id)).recipients[0]!.receiptsOff).toBeUndefined();
    await reads(b, conv, 3);
    await statusReached(a, storageOf(a), d3.id, 'read');
    expect((await storageOf(a).get(d2.key))?.status).toBe('delivered');
    expect(await stateOf(sa, d2.id)).toMatchObject({ state: 'delivered', receipt: { read: 0 } });
    const later = (await info(sa, conv, d2.id)).recipients[0]!;
    expect(later.readAt).toBeUndefined();
    expect(later.receiptsOff).toBe(true);
    expect((await info(sa, conv, d3.id)).recipients[0]!.readAt).toBeGreaterThan(0);
  });

  it('group: a member with receipts off is not counted as having read, and info says so', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await engine(alice);
    const b = await engine(bob);
    const c = await engine(carol);
    const sa = await raw(alice);
    const conv = await a.createGroup('Off', [bob.userId, carol.userId]);
    await setReceipts(bob, false);
    const g1 = await a.send(conv, 'who read this?');
    await statusReached(a, storageOf(a), g1.id, 'delivered');
    await reads(b, conv, 2);
    await reads(c, conv, 2);
    await until(
      [a],
      async () => (await storageOf(a).get(g1.key))?.receipt?.read === 1,
      'one read shown',
    );
    expect(await stateOf(sa, g1.id)).toMatchObject({
      state: 'delivered',
      receipt: { read: 1 },
    });
    const { recipients } = await info(sa, conv, g1.id);
    const byUser = new Map(recipients.map((r) => [r.userId, r]));
    expect(byUser.get(carol.userId)!.readAt).toBeGreaterThan(0);
    expect(byUser.get(bob.userId)).toMatchObject({ receiptsOff: true });
    expect(byUser.get(bob.userId)!.readAt).toBeUndefined();
    // Turned on again: still not counted for what was read while off.
    await setReceipts(bob, true);
    expect(await stateOf(sa, g1.id)).toMatchObject({ receipt: { read: 1 } });
    expect((await storageOf(a).get(g1.key))?.status).toBe('delivered');
  });

  it('the sender with receipts off sees no reads, and info says why rather than "not read"', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await engine(alice);
    const b = await engine(bob);
    const sa = await raw(alice);
    const conv = a.conversationWith(bob.userId);
    await setReceipts(alice, false);
    const d1 = await a.send(bob.userId, 'read, but alice does not see it');
    await statusReached(a, storageOf(a), d1.id, 'delivered');
    await reads(b, conv, 1);
    const answer = await info(sa, conv, d1.id);
    expect(answer.readsHidden).toBe(true);
    expect(answer.recipients[0]!.readAt).toBeUndefined();
    expect(await stateOf(sa, d1.id)).toMatchObject({ state: 'delivered' });
  });
});
