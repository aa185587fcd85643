import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  directConversationId,
  historyASchema,
  logMsgNSchema,
  offlineA2Schema,
  REPLY_EXCERPT_MAX,
  type ConversationId,
  type LogMsgN,
  type Session,
} from '../../protocol';
import { devices, newUser, scrollBack, statusReached, until } from '../support/clients';
import { ask, nextPush, rawConnect, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('replies', () => {
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

  /** A protocol-2 socket, or with `v1` a wire-v1 one. */
  async function socket(session: Session, v1 = false): Promise<RawSocket> {
    const s = await rawConnect(server.url, session.token, v1 ? undefined : 2);
    cleanups.push(() => s.close());
    return s;
  }

  it('a reply carries the quoted message (name, seq, excerpt) in msg:N, history and catch-up', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    const b = await socket(bob);
    const conv = directConversationId(alice.userId, bob.userId);
    const long = `Lunch at noon?\n\n${'🍕'.repeat(150)}`;
    const first = (await ask(a, 'msg:R', { id: 'q1', to: bob.userId, body: long })) as {
      seq: number;
    };
    const pushed = nextPush<LogMsgN>(a, 'msg:N');
    const answer = await ask(b, 'msg:R', {
      id: 'r1',
      to: alice.userId,
      body: 'Yes',
      reply: { from: alice.userId, id: 'q1' },
    });
    expect(answer).toMatchObject({ ok: true, id: 'r1', seq: first.seq + 1 });
    const push = logMsgNSchema.parse(await pushed);
    expect(push.reply).toMatchObject({ from: alice.userId, id: 'q1', seq: first.seq });
    const excerpt = push.reply!.excerpt;
    expect(excerpt.startsWith('Lunch at noon? 🍕')).toBe(true); // white space folded
    expect(excerpt.length).toBeLessThanOrEqual(REPLY_EXCERPT_MAX);
    expect(excerpt.length).toBeGreaterThan(REPLY_EXCERPT_MAX - 2);
    // Never half a surrogate pair.
    expect(excerpt).toBe(excerpt.normalize());
    expect(/[\uD800-\uDBFF]$/.test(excerpt)).toBe(false);

    const history = historyASchema.parse(await ask(a, 'history:R', { conv }));
    expect(history.messages.find((m) => m.id === 'r1')?.reply).toEqual(push.reply);
    const pulled = offlineA2Schema.parse(await ask(a, 'offline:R', {}));
    expect(pulled.messages.find((m) => m.id === 'r1')?.reply).toEqual(push.reply);
  });

  it('refuses, storing nothing, a reply to a message of another conversation, an unknown one or a system entry', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await socket(alice);
    const c = await socket(carol);
    await ask(c, 'msg:R', { id: 'elsewhere', to: bob.userId, body: 'for Bob only' });
    const start = (await ask(a, 'msg:R', { id: 'start', to: bob.userId, body: 'Hi' })) as {
      seq: number;
    };
    const created = (await ask(a, 'group:create', {
      name: 'Team',
      members: [bob.userId],
    })) as { conv: ConversationId };
    const refused = [
      { from: carol.userId, id: 'elsewhere' }, // Carol→Bob, not Alice→Bob
      { from: bob.userId, id: 'never-sent' },
    ];
    for (const reply of refused) {
      expect(
        await ask(a, 'msg:R', { id: `r-${reply.id}`, to: bob.userId, body: 'Hm', reply }),
      ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
    const history = historyASchema.parse(await ask(a, 'history:R', { conv: created.conv }));
    const system = history.messages.find((m) => m.kind === 'system')!;
    expect(
      await ask(a, 'msg:R', {
        id: 'r-system',
        to: created.conv,
        body: 'Hm',
        reply: { from: system.from, id: system.id },
      }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(
      await ask(a, 'msg:R', { id: 'r-bad', to: bob.userId, body: 'Hm', reply: { from: 'x' } }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Nothing was stored: the next message takes the next seq, and no refused id is in the log.
    const next = await ask(a, 'msg:R', { id: 'next', to: bob.userId, body: 'Hello?' });
    expect(next).toMatchObject({ ok: true, seq: start.seq + 1 });
    const direct = directConversationId(alice.userId, bob.userId);
    const log = historyASchema.parse(await ask(a, 'history:R', { conv: direct }));
    expect(log.messages.map((m) => m.id)).toEqual(['start', 'next']);
    const groupLog = historyASchema.parse(await ask(a, 'history:R', { conv: created.conv }));
    expect(groupLog.messages.map((m) => m.id)).toEqual([system.id]);
  });

  it('a group member cannot quote what was said before they joined', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    const b = await socket(bob);
    const { conv } = (await ask(a, 'group:create', { name: 'Early', members: [] })) as {
      conv: ConversationId;
    };
    await ask(a, 'msg:R', { id: 'before-bob', to: conv, body: 'Before Bob joined' });
    await ask(a, 'group:add', { conv, users: [bob.userId] });
    expect(
      await ask(b, 'msg:R', {
        id: 'quote-early',
        to: conv,
        body: 'What?',
        reply: { from: alice.userId, id: 'before-bob' },
      }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await ask(a, 'msg:R', { id: 'after-bob', to: conv, body: 'Welcome Bob' });
    expect(
      await ask(b, 'msg:R', {
        id: 'quote-late',
        to: conv,
        body: 'Thanks',
        reply: { from: alice.userId, id: 'after-bob' },
      }),
    ).toMatchObject({ ok: true });
  });

  it('a retransmission is idempotent, the same id with another reply target is id_conflict', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    await ask(a, 'msg:R', { id: 'one', to: bob.userId, body: 'One' });
    await ask(a, 'msg:R', { id: 'two', to: bob.userId, body: 'Two' });
    const packet = {
      id: 'ans',
      to: bob.userId,
      body: 'Re',
      reply: { from: alice.userId, id: 'one' },
    };
    const first = await ask(a, 'msg:R', packet);
    expect(await ask(a, 'msg:R', packet)).toEqual(first);
    expect(
      await ask(a, 'msg:R', { ...packet, reply: { from: alice.userId, id: 'two' } }),
    ).toMatchObject({ ok: false, error: { code: 'id_conflict' } });
    expect(await ask(a, 'msg:R', { id: 'ans', to: bob.userId, body: 'Re' })).toMatchObject({
      ok: false,
      error: { code: 'id_conflict' },
    });
  });

  it('a wire-v1 client gets wire-v1 msg:N, without the reply field', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await socket(alice);
    const legacy = await socket(bob, true);
    const first = nextPush(legacy, 'msg:N');
    await ask(a, 'msg:R', { id: 'q', to: bob.userId, body: 'Question' });
    await first;
    const pushed = nextPush<Record<string, unknown>>(legacy, 'msg:N');
    await ask(a, 'msg:R', {
      id: 'r',
      to: bob.userId,
      body: 'Also',
      reply: { from: alice.userId, id: 'q' },
    });
    expect(Object.keys(await pushed).sort()).toEqual(['body', 'from', 'id', 'to', 'ts']);
  });

  it('engines: the reply is stored with its quote on both sides', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const a = await engine(alice);
    const b = await engine(bob);
    const bobStore = storageOf(b);
    const question = await a.send(bob.userId, 'Is the build green?');
    await statusReached(a, storageOf(a), question.id, 'delivered');
    await until(
      [b],
      async () => (await bobStore.get(question.key))?.seq !== undefined,
      'bob has the question with its seq',
    );
    const received = (await bobStore.get(question.key))!;
    const answer = await b.send(alice.userId, 'It is', { reply: received });
    expect(answer.reply).toEqual({
      from: alice.userId,
      id: question.id,
      seq: received.seq,
      excerpt: 'Is the build green?',
    });
    await statusReached(b, bobStore, answer.id, 'delivered');
    const conv = directConversationId(alice.userId, bob.userId);
    await until(
      [a],
      async () => (await storageOf(a).get(answer.key)) !== undefined,
      'alice has the answer',
    );
    const onAlice = (await scrollBack(a, conv, 10)).find((m) => m.id === answer.id);
    expect(onAlice?.reply).toEqual(answer.reply);
    // Only a message the server holds can be answered.
    await expect(
      b.send(alice.userId, 'x', { reply: { ...received, seq: undefined } }),
    ).rejects.toThrow(/reply/);
  });
});
