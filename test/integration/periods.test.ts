import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  convListASchema,
  historyASchema,
  offlineA2Schema,
  type ConversationId,
  type LogMsgN,
  type Session,
} from '../../protocol';
import { newUser } from '../support/clients';
import { ask, collect, nextPush, rawSockets, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * Membership periods bound everything a former (or returning) member gets:
 * read positions, the conversation's summary and name, the quotes of replies
 * to messages written while they were out, and typing.
 */
describe('membership periods bound everything', () => {
  let server: Started;
  const sockets = rawSockets(() => server.url);

  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => {
    sockets.closeAll();
  });
  afterAll(() => server.close());

  const raw = (session: Session) => sockets.connect(session);

  async function group(admin: RawSocket, name: string, members: string[]) {
    const { conv } = (await ask(admin, 'group:create', { name, members })) as {
      conv: ConversationId;
    };
    return conv;
  }

  async function send(s: RawSocket, to: string, id: string, body: string, reply?: object) {
    const answer = (await ask(s, 'msg:R', { id, to, body, ...(reply ? { reply } : {}) })) as {
      ok: boolean;
      seq: number;
    };
    expect(answer).toMatchObject({ ok: true });
    return answer.seq;
  }

  it("a former member's read position, summary and name stop where their membership did", async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((p) => newUser(server.url, p)),
    );
    const a = await raw(alice!);
    const c = await raw(carol!);
    const conv = await group(a, 'Before', [bob!.userId, carol!.userId]);
    await send(a, conv, 'm1', 'while carol is in');
    const removed = (await ask(a, 'group:remove', { conv, users: [carol!.userId] })) as {
      seq: number;
    };
    await ask(a, 'group:rename', { conv, name: 'After carol left' });
    await send(a, conv, 'm2', 'after carol left');
    const lastSeq = await send(a, conv, 'm3', 'later still');
    expect(lastSeq).toBeGreaterThan(removed.seq);

    const list = convListASchema.parse(await ask(c, 'conv:list', {}));
    const mine = list.conversations.find((x) => x.conv === conv)!;
    expect(mine).toMatchObject({ name: 'Before', left: true, lastSeq: removed.seq });
    expect(mine.through).toBe(removed.seq);
    // Asking to read far beyond: the position stops at the entry that removed her.
    const read = (await ask(c, 'read:R', { conv, seq: 10_000 })) as {
      readSeq: number;
      through: number;
    };
    expect(read).toMatchObject({ ok: true, readSeq: removed.seq, through: removed.seq });
    // Her history ends there too.
    const history = historyASchema.parse(await ask(c, 'history:R', { conv }));
    expect(Math.max(...history.messages.map((m) => m.seq))).toBe(removed.seq);
  });

  it('a reply quotes a message only to those who could see it (push, catch-up, history)', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((p) => newUser(server.url, p)),
    );
    const a = await raw(alice!);
    const b = await raw(bob!);
    const conv = await group(a, 'Quotes', [bob!.userId, carol!.userId]);
    await ask(a, 'group:remove', { conv, users: [carol!.userId] });
    await send(a, conv, 'secret', 'the budget is 1.2M, do not tell carol');
    await ask(a, 'group:add', { conv, users: [carol!.userId] });
    // Carol is back (online now); Alice replies to the message written while she was out.
    const c = await raw(carol!);
    const toCarol = collect(c, 'msg:N') as LogMsgN[];
    const toBob = nextPush<LogMsgN>(b, 'msg:N');
    await send(a, conv, 'answer', 'yes, that one', { from: alice!.userId, id: 'secret' });
    const bobsCopy = await toBob;
    expect(bobsCopy.reply?.excerpt).toBe('the budget is 1.2M, do not tell carol');
    await ask(c, 'conv:list', {}); // a round trip: the push has arrived
    const pushed = toCarol.find((m) => m.id === 'answer')!;
    expect(pushed.reply).toMatchObject({ from: alice!.userId, id: 'secret', excerpt: '' });
    // The same entry from her catch-up and from history.
    const page = offlineA2Schema.parse(await ask(c, 'offline:R', { limit: 100 }));
    expect(page.messages.find((m) => m.id === 'answer')?.reply?.excerpt).toBe('');
    expect(page.messages.some((m) => m.id === 'secret')).toBe(false);
    const history = historyASchema.parse(await ask(c, 'history:R', { conv }));
    expect(history.messages.find((m) => m.id === 'answer')?.reply?.excerpt).toBe('');
    const bobsHistory = historyASchema.parse(await ask(b, 'history:R', { conv }));
    expect(bobsHistory.messages.find((m) => m.id === 'answer')?.reply?.excerpt).toBe(
      'the budget is 1.2M, do not tell carol',
    );
  });

  it('a former member neither sends nor receives typing', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((p) => newUser(server.url, p)),
    );
    const a = await raw(alice!);
    const b = await raw(bob!);
    const c = await raw(carol!);
    const conv = await group(a, 'Typing', [bob!.userId, carol!.userId]);
    await ask(a, 'group:remove', { conv, users: [carol!.userId] });
    expect(await ask(c, 'typing:R', { conv })).toMatchObject({ error: { code: 'not_found' } });
    const atCarol = collect(c, 'typing:N');
    const atBob = nextPush(b, 'typing:N');
    expect(await ask(a, 'typing:R', { conv })).toEqual({ ok: true });
    expect(await atBob).toEqual({ conv, from: alice!.userId });
    await ask(c, 'conv:list', {});
    expect(atCarol).toEqual([]);
  });
});
