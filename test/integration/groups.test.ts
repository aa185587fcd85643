import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImClient } from '../../client/imClient';
import type { StoredMessage } from '../../client/storage';
import {
  convListASchema,
  historyASchema,
  offlineA2Schema,
  parseGroupEvent,
  statusASchema,
  type ConversationId,
  type Session,
} from '../../protocol';
import { devices, newDevice, newUser, scrollBack, until } from '../support/clients';
import { ask, collect, rawConnect, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('groups', () => {
  let server: Started;
  const cleanups: (() => void)[] = [];
  const { engine, storageOf, closeAll } = devices(() => server.url);

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 6 } });
  });
  afterAll(async () => {
    closeAll();
    for (const c of cleanups) c();
    await server.close();
  });

  async function socket(session: Session, protocol: number | undefined = 2): Promise<RawSocket> {
    const s = await rawConnect(server.url, session.token, protocol);
    cleanups.push(() => s.close());
    return s;
  }

  /** The texts (and system events) of a conversation on a device, oldest first. */
  async function texts(client: ImClient, conv: ConversationId): Promise<string[]> {
    const all = await scrollBack(client, conv, 100);
    return all
      .reverse()
      .map((m) => (m.kind === 'system' ? `[${parseGroupEvent(m.body)?.type}]` : m.body));
  }

  it('members see a new group at once on every device, an offline member on its next catch-up', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await engine(alice);
    const b1 = await engine(bob);
    const b2 = await engine(bob, true);
    const conv = await a.createGroup('Launch team', [bob.userId, carol.userId]);
    for (const b of [b1, b2]) {
      await until(
        [b],
        async () =>
          (await b.conversations()).some((c) => c.conv === conv && c.name === 'Launch team'),
        'bob sees the group',
      );
    }
    await a.send(conv, 'Kick-off at 10');
    const c = await engine(carol);
    await until([c], async () => (await texts(c, conv)).length === 2, 'carol caught up');
    expect(await texts(c, conv)).toEqual(['[created]', 'Kick-off at 10']);
    const listed = (await c.conversations()).find((x) => x.conv === conv);
    expect(listed).toMatchObject({ kind: 'group', name: 'Launch team', unread: 1 });
    const info = await c.groupInfo(conv);
    expect(info.members[0]).toEqual({ userId: alice.userId, role: 'admin' });
    expect(info.members.slice(1)).toEqual(
      expect.arrayContaining([
        { userId: bob.userId, role: 'member' },
        { userId: carol.userId, role: 'member' },
      ]),
    );
  });

  it('enforces every rule on the server: non-members, non-admins, removed members, forged fields, old clients', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const mallory = await newUser(server.url, 'mallory');
    const dave = await newUser(server.url, 'dave');
    const a = await socket(alice);
    const b = await socket(bob);
    const m = await socket(mallory);
    const created = (await ask(a, 'group:create', { name: 'Private', members: [bob.userId] })) as {
      ok: boolean;
      conv: ConversationId;
    };
    expect(created.ok).toBe(true);
    const conv = created.conv;
    const notFound = { ok: false, error: { code: 'not_found', message: expect.any(String) } };
    // A non-member cannot post, read, pull, type, learn or change anything; not even that it exists.
    expect(await ask(m, 'msg:R', { id: 'x1', to: conv, body: 'let me in' })).toEqual(notFound);
    expect(await ask(m, 'history:R', { conv })).toEqual(notFound);
    expect(await ask(m, 'read:R', { conv, seq: 1 })).toEqual(notFound);
    expect(await ask(m, 'typing:R', { conv })).toEqual(notFound);
    expect(await ask(m, 'group:info', { conv })).toEqual(notFound);
    for (const [event, payload] of [
      ['group:rename', { conv, name: 'Mine' }],
      ['group:add', { conv, users: [mallory.userId] }],
      ['group:remove', { conv, users: [bob.userId] }],
      ['group:admin', { conv, users: [mallory.userId] }],
      ['group:leave', { conv }],
    ] as const) {
      expect(await ask(m, event, payload), event).toEqual(notFound);
    }
    const pulled = offlineA2Schema.parse(await ask(m, 'offline:R', { limit: 500 }));
    expect(pulled.messages.filter((x) => x.conv === conv)).toEqual([]);
    // A member who is not an admin cannot change membership or the name.
    const forbidden = { ok: false, error: { code: 'forbidden', message: expect.any(String) } };
    expect(await ask(b, 'group:add', { conv, users: [mallory.userId] })).toEqual(forbidden);
    expect(await ask(b, 'group:remove', { conv, users: [alice.userId] })).toEqual(forbidden);
    expect(await ask(b, 'group:admin', { conv, users: [bob.userId] })).toEqual(forbidden);
    expect(await ask(b, 'group:rename', { conv, name: 'Bob rules' })).toEqual(forbidden);
    // Forged fields change nothing: identity is the session's.
    const forged = (await ask(b, 'msg:R', {
      id: 'f1',
      to: conv,
      body: 'from bob',
      from: alice.userId,
    })) as { ok: boolean };
    expect(forged.ok).toBe(true);
    const history = historyASchema.parse(await ask(a, 'history:R', { conv }));
    expect(history.messages.at(-1)).toMatchObject({ id: 'f1', from: bob.userId });
    // Unknown people cannot be added.
    expect(await ask(a, 'group:add', { conv, users: ['nobody-at-all'] })).toMatchObject({
      error: { code: 'unknown_recipient' },
    });
    // A wire-v1 client is not offered groups.
    const old = await rawConnect(server.url, alice.token);
    cleanups.push(() => old.close());
    expect(await ask(old, 'group:info', { conv })).toMatchObject({
      error: { code: 'invalid_input' },
    });
    expect(await ask(old, 'msg:R', { id: 'v1g', to: conv, body: 'x' })).toMatchObject({
      error: { code: 'invalid_input' },
    });
    // A removed member keeps what they had, gets nothing new, cannot post.
    const bobSees = collect(b, 'msg:N');
    expect(await ask(a, 'group:remove', { conv, users: [bob.userId] })).toMatchObject({ ok: true });
    await ask(a, 'msg:R', { id: 'after', to: conv, body: 'after bob left' });
    expect(await ask(b, 'msg:R', { id: 'b2', to: conv, body: 'still here?' })).toEqual(notFound);
    const bobHistory = historyASchema.parse(await ask(b, 'history:R', { conv }));
    expect(bobHistory.messages.map((x) => x.id)).not.toContain('after');
    expect(bobHistory.messages.at(-1)).toMatchObject({ kind: 'system' });
    await ask(b, 'conv:list', {});
    expect(bobSees.map((x) => (x as { id: string }).id)).not.toContain('after');
    // A later member sees the log from the entry that added them on.
    await ask(a, 'group:add', { conv, users: [dave.userId] });
    const d = await socket(dave);
    const daveHistory = historyASchema.parse(await ask(d, 'history:R', { conv }));
    expect(daveHistory.messages.map((x) => x.kind ?? x.body)).toEqual(['system']);
  });

  it('a message stored while a member is being removed goes to exactly the members at its seq', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await socket(alice);
    const c = await socket(carol);
    const results: { messageSeq: number; removalSeq: number; bobGotIt: boolean }[] = [];
    for (let round = 0; round < 12; round++) {
      const { conv } = (await ask(a, 'group:create', {
        name: `Race ${round}`,
        members: [bob.userId, carol.userId],
      })) as { conv: ConversationId };
      const b = await socket(await newDevice(server.url, bob));
      const pushed = collect(b, 'msg:N');
      // The two race: sent in the same tick, in turn one first and the other first.
      const send = () => ask(c, 'msg:R', { id: `race${round}`, to: conv, body: 'racing' });
      const remove = () => ask(a, 'group:remove', { conv, users: [bob.userId] });
      const [sent, removed] = (
        round % 2
          ? await Promise.all([send(), remove()])
          : await Promise.all([remove(), send()]).then(([r, s]) => [s, r])
      ) as [{ seq: number }, { seq: number }];
      const page = offlineA2Schema.parse(await ask(b, 'offline:R', { limit: 500 }));
      const inPage = page.messages.some((x) => x.id === `race${round}`);
      await ask(b, 'conv:list', {});
      const inPushes = pushed.some((x) => (x as { id: string }).id === `race${round}`);
      expect(inPage || inPushes).toBe(sent.seq < removed.seq);
      results.push({ messageSeq: sent.seq, removalSeq: removed.seq, bobGotIt: inPage || inPushes });
      b.close();
    }
    // Both orders happened, so both sides of the rule were checked.
    expect(new Set(results.map((r) => r.bobGotIt)).size).toBe(2);
  });

  it('a member removed and added back: what they missed while out is not unread, and what they had not read stays unread, not read', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    const b = await socket(bob);
    const { conv } = (await ask(a, 'group:create', {
      name: 'Back again',
      members: [bob.userId],
    })) as {
      conv: ConversationId;
    };
    await ask(a, 'msg:R', { id: 'before', to: conv, body: 'before bob left' });
    await ask(a, 'group:remove', { conv, users: [bob.userId] });
    await ask(a, 'msg:R', { id: 'gap', to: conv, body: 'while bob was out' });
    await ask(a, 'group:add', { conv, users: [bob.userId] });
    await ask(a, 'msg:R', { id: 'after', to: conv, body: 'bob is back' });
    const listed = convListASchema.parse(await ask(b, 'conv:list', {}));
    const summary = listed.conversations.find((c) => c.conv === conv)!;
    expect(summary.unread).toBe(2);
    const states = async () =>
      statusASchema.parse(await ask(a, 'status:R', { ids: ['before', 'after'] })).states;
    // (Bob's raw socket confirms nothing, so neither is delivered yet; what matters is "read".)
    expect((await states()).map((s) => [s.id, s.state, s.receipt.read])).toEqual([
      ['before', 'sent', 0],
      ['after', 'sent', 0],
    ]);
    const read = (await ask(b, 'read:R', { conv, seq: summary.lastSeq })) as { unread: number };
    expect(read.unread).toBe(0);
    expect((await states()).map((s) => [s.id, s.state, s.receipt.read])).toEqual([
      ['before', 'read', 1],
      ['after', 'read', 1],
    ]);
  });

  it('a message to a group the writer was removed from fails for good: it is not offered for resending', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    const b = await engine(bob);
    const { conv } = (await ask(a, 'group:create', { name: 'Gone', members: [bob.userId] })) as {
      conv: ConversationId;
    };
    await until([b], async () => (await b.conversation(conv)) !== undefined, 'bob sees it');
    await ask(a, 'group:remove', { conv, users: [bob.userId] });
    const late = await b.send(conv, 'did I miss anything?');
    await until(
      [b],
      async () =>
        (await b.conversation(conv))?.left === true &&
        (await storageOf(b).get(late.key))?.status === 'failed',
      'refused, and bob knows he is out',
    );
    expect(await b.failedMessages()).toEqual([]);
    expect(await b.resend(late.id)).toBe(false);
    expect(await b.resendAllFailed()).toBe(0);
    expect((await storageOf(b).get(late.key))?.status).toBe('failed');
  });

  it('receipts: sent, delivered to every member, read by each, with counts; a direct read receipt', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await engine(alice);
    const a2 = await engine(alice, true);
    const b = await engine(bob);
    const c = await engine(carol);
    const conv = await a.createGroup('Receipts', [bob.userId, carol.userId]);
    await until(
      [b, c],
      async () => (await texts(b, conv)).length === 1 && (await texts(c, conv)).length === 1,
      'both see the group',
    );
    const sent = await a.send(conv, 'Who has read this?');
    const status = async (client: ImClient) =>
      (await client.history(conv, { limit: 100 })).find((m) => m.id === sent.id);
    const reached = (client: ImClient, check: (m: StoredMessage) => boolean, what: string) =>
      until(
        [client],
        async () => {
          const m = await status(client);
          return m !== undefined && check(m);
        },
        what,
      );
    await reached(
      a,
      (m) => m.status === 'delivered' && m.receipt?.delivered === 2,
      'delivered to both',
    );
    expect((await status(a))?.receipt).toEqual({ recipients: 2, delivered: 2, read: 0 });
    await b.markRead(conv);
    await reached(a, (m) => m.receipt?.read === 1 && m.status === 'delivered', 'read by one');
    await c.markRead(conv);
    await reached(a, (m) => m.status === 'read' && m.receipt?.read === 2, 'read by both');
    // The sender's other device follows.
    await reached(a2, (m) => m.status === 'read', 'the other device shows read');
    const { recipients: info, readsHidden } = await a.messageInfo(conv, sent.id);
    expect(readsHidden).toBeUndefined();
    // Named with the wrong conversation: no such message there.
    await expect(a.messageInfo(a.conversationWith(bob.userId), sent.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(info.map((r) => r.userId).sort()).toEqual([bob.userId, carol.userId].sort());
    for (const r of info) {
      expect(r.deliveredAt).toBeGreaterThanOrEqual(sent.composedAt! - 60_000);
      expect(r.readAt).toBeGreaterThanOrEqual(r.deliveredAt!);
    }
    // Direct: read when the other person opens the conversation.
    const direct = await a.send(bob.userId, 'and this one?');
    const directConv = a.conversationWith(bob.userId);
    await until(
      [a],
      async () =>
        (await a.history(directConv, { limit: 10 })).some(
          (m) => m.id === direct.id && m.status === 'delivered',
        ),
      'direct delivered',
    );
    await until(
      [b],
      async () => ((await b.conversation(directConv))?.lastSeq ?? 0) >= 1,
      'bob has it',
    );
    await b.markRead(directConv);
    await until(
      [a],
      async () =>
        (await a.history(directConv, { limit: 10 })).some(
          (m) => m.id === direct.id && m.status === 'read',
        ),
      'direct read',
    );
  });

  it('read receipts off: the person’s reads are not shown, and they see no reads', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await engine(alice);
    const b = await engine(bob);
    const prefs = await fetch(`${server.url}/api/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readReceipts: false }),
    });
    expect(await prefs.json()).toEqual({ readReceipts: false });
    const conv = a.conversationWith(bob.userId);
    const toBob = await a.send(bob.userId, 'private reader');
    await until([b], async () => ((await b.conversation(conv))?.lastSeq ?? 0) >= 1, 'bob has it');
    await b.markRead(conv);
    const fromBob = await b.send(alice.userId, 'reply');
    await until(
      [a],
      async () => ((await a.conversation(conv))?.lastSeq ?? 0) >= 2,
      'alice has the reply',
    );
    await a.markRead(conv);
    await until(
      [a, b],
      async () => {
        const mine = (await a.history(conv, { limit: 10 })).find((m) => m.id === toBob.id);
        const his = (await b.history(conv, { limit: 10 })).find((m) => m.id === fromBob.id);
        const settled = (x?: StoredMessage) => x?.status === 'delivered' || x?.status === 'read';
        return settled(mine) && settled(his);
      },
      'both delivered (or shown read)',
    );
    for (const [client, id] of [
      [a, toBob.id],
      [b, fromBob.id],
    ] as const) {
      const m = (await client.history(conv, { limit: 10 })).find((x) => x.id === id);
      expect(m?.status).toBe('delivered');
    }
    // Receipts are computed on the server: ask it directly.
    const sa = await socket(alice);
    const sb = await socket(bob);
    expect(await ask(sa, 'status:R', { ids: [toBob.id] })).toMatchObject({
      states: [{ state: 'delivered', receipt: { read: 0 } }],
    });
    expect(await ask(sb, 'status:R', { ids: [fromBob.id] })).toMatchObject({
      states: [{ state: 'delivered', receipt: { read: 0 } }],
    });
    // Unread counts still follow bob across his own devices.
    expect((await b.conversation(conv))?.unread).toBe(0);
  });
});
