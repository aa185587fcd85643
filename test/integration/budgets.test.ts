import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUDGETS } from '../../server/budgets';
import { SENDER_SHARE } from '../../server/inboxQuota';
import type { ConversationId, Session } from '../../protocol';
import { newUser } from '../support/clients';
import { ask, rawSockets, type RawSocket } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;
type Answer = { ok: boolean; error?: { code: string; retryAfterMs?: number } };

/** Members of the test group besides its admin, all online. */
const MEMBERS = 40;

/**
 * Every write path is admitted by a per-user budget priced by its cost
 * (server/budgets.ts), with the server's default limits: whatever one
 * person fires, the pushes it causes to others are bounded, and nothing
 * beyond the budget is stored. Each test floods one path from one person
 * with a fixed number of requests, several times its burst, and counts what
 * the others receive; what the budget allows is computed from the flood's
 * measured duration (a busy machine refills more while it lasts).
 */
describe('every write path has a budget', () => {
  let server: Started;
  const sockets = rawSockets(() => server.url);
  /** A new person for each test: one test's spent budget is not the next one's. */
  let admin: Session;
  let members: Session[];
  let watchers: RawSocket[];

  beforeAll(async () => {
    // The production limits (the test default relaxes the message rate).
    server = await startServer({ rateLimit: 30 });
    members = [];
    // A few at a time: the server's password-hash queue is the production one too.
    while (members.length < MEMBERS) {
      members.push(
        ...(await Promise.all(Array.from({ length: 8 }, () => newUser(server.url, 'm')))),
      );
    }
    watchers = await Promise.all(members.map((m) => sockets.connect(m)));
  });
  beforeEach(async () => {
    admin = await newUser(server.url, 'admin');
  });
  afterAll(async () => {
    sockets.closeAll();
    await server.close();
  });

  /** Counts `event` pushed to every watcher from now on (those `which` accepts). */
  function count(event: string, which: (packet: { body?: string }) => boolean = () => true) {
    let n = 0;
    for (const w of watchers) {
      (w as unknown as { on(e: string, f: (p: { body?: string }) => void): void }).on(
        event,
        (packet) => {
          if (which(packet)) n++;
        },
      );
    }
    return () => n;
  }

  /** Fires `total` requests, `parallel` at a time: the answers and how long it took. */
  async function flood(
    socket: RawSocket,
    request: (i: number) => [string, unknown],
    total: number,
    parallel = 1,
  ) {
    const answers: Answer[] = [];
    const began = performance.now();
    let i = 0;
    const worker = async () => {
      while (i < total) {
        const [event, payload] = request(i++);
        answers.push((await ask(socket, event, payload)) as Answer);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return { answers, ms: performance.now() - began };
  }

  const refused = (answers: Answer[]) =>
    answers.filter((a) => !a.ok && a.error?.code === 'rate_limited');

  /** Pushes a second one person caused, printed with the path. */
  function report(path: string, pushes: number, answers: Answer[], ms: number) {
    const rate = (pushes * 1000) / ms;
    console.log(
      `${path}: ${answers.length} requests in ${ms.toFixed(0)} ms, ${answers.filter((a) => a.ok).length} accepted, ` +
        `${refused(answers).length} refused; ${pushes} pushes to others (${rate.toFixed(0)}/s)`,
    );
  }

  /** The most a budget lets one person spend in `ms`: its burst and its refill. */
  const allowed = (name: keyof typeof BUDGETS, ms: number) =>
    BUDGETS[name].burst + (BUDGETS[name].perSecond * ms) / 1000;

  it('a group message costs its fan-out', async () => {
    const a = await sockets.connect(admin);
    const { conv } = (await ask(a, 'group:create', {
      name: 'Everyone',
      members: members.map((m) => m.userId),
    })) as { conv: ConversationId };
    // The group's creation is pushed too: only the flood's messages count.
    const pushes = count('msg:N', (p) => p.body === 'hi all');
    // 200 messages of 40 pushes each: 8,000 pushes against a burst of 3,000.
    const { answers, ms } = await flood(
      a,
      (i) => ['msg:R', { id: `g${i}`, to: conv, body: 'hi all' }],
      200,
      32,
    );
    report('group messages', pushes(), answers, ms);
    expect(refused(answers).length).toBeGreaterThan(0);
    const stored = answers.filter((x) => x.ok).length;
    expect(stored * MEMBERS).toBeLessThanOrEqual(allowed('fanout', ms) + MEMBERS);
    // Refused ones stored nothing: only the accepted reached anyone.
    await ask(watchers[0]!, 'ping:R', {});
    expect(pushes()).toBeLessThanOrEqual(stored * MEMBERS);
  });

  it('renames and membership changes have a budget of their own', async () => {
    const a = await sockets.connect(admin);
    const { conv } = (await ask(a, 'group:create', {
      name: 'Renamed',
      members: members.map((m) => m.userId),
    })) as { conv: ConversationId };
    const pushes = count('msg:N');
    const { answers, ms } = await flood(
      a,
      (i) => ['group:rename', { conv, name: `name ${i}` }],
      3 * BUDGETS.groupChange.burst,
      4,
    );
    report('group renames', pushes(), answers, ms);
    const accepted = answers.filter((x) => x.ok).length;
    expect(accepted).toBeLessThanOrEqual(allowed('groupChange', ms));
    expect(refused(answers).length).toBeGreaterThan(0);
  });

  it('nobody can put a colleague in more groups than their budget allows, however many people try', async () => {
    const victim = await newUser(server.url, 'victim');
    const makers = await Promise.all(Array.from({ length: 3 }, () => newUser(server.url, 'maker')));
    let made = 0;
    let refusedFor: Answer | undefined;
    for (const maker of makers) {
      const s = await sockets.connect(maker);
      for (let i = 0; i < 15; i++) {
        const answer = (await ask(s, 'group:create', {
          name: `spam ${i}`,
          members: [victim.userId],
        })) as Answer;
        if (answer.ok) made++;
        else refusedFor ??= answer;
      }
    }
    console.log(`groups a person was put in by 3 others trying 45 times: ${made}`);
    expect(made).toBe(BUDGETS.addedToGroup.burst);
    expect(refusedFor).toMatchObject({ error: { code: 'rate_limited' } });
    const list = (await ask(await sockets.connect(victim), 'conv:list', {})) as {
      conversations: unknown[];
    };
    expect(list.conversations).toHaveLength(made);
  });

  it('typing across many groups is bounded', async () => {
    const a = await sockets.connect(admin);
    const convs: ConversationId[] = [];
    // 30 groups of 10 watchers each (the server forwards typing once a second
    // per conversation; the budget bounds it across conversations). Half made
    // by the person, half by others: within both creation budgets.
    for (let g = 0; g < 30; g++) {
      const watching = members.slice(10 + (g % 2) * 10, 20 + (g % 2) * 10).map((m) => m.userId);
      const maker = g % 2 === 0 ? a : await sockets.connect(members[g % 10]!);
      const answer = (await ask(maker, 'group:create', {
        name: `t${g}`,
        members: g % 2 === 0 ? watching : [admin.userId, ...watching],
      })) as Answer & { conv: ConversationId };
      expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
      convs.push(answer.conv);
    }
    const pushes = count('typing:N');
    const { answers, ms } = await flood(
      a,
      (i) => ['typing:R', { conv: convs[i % convs.length] }],
      convs.length,
    );
    report('typing', pushes(), answers, ms);
    expect(refused(answers).length).toBeGreaterThan(0);
    await ask(watchers[0]!, 'ping:R', {});
    expect(pushes()).toBeLessThanOrEqual(allowed('fanout', ms));
    // Forwarded typing (10 watchers in each group, 11 where a watcher made it): within the typing budget.
    expect(pushes() / 11).toBeLessThanOrEqual(allowed('typing', ms));
  });

  it('read positions and profile changes have budgets', async () => {
    const a = await sockets.connect(admin);
    const conv = `d:${[admin.userId, members[0]!.userId].sort().join(':')}`;
    await ask(a, 'msg:R', { id: 'to-read', to: members[0]!.userId, body: 'read me' });
    const { answers: reads, ms } = await flood(
      watchers[0]!,
      () => ['read:R', { conv, seq: 1 }],
      3 * BUDGETS.read.burst,
    );
    report('read:R', 0, reads, ms);
    expect(refused(reads).length).toBeGreaterThan(0);
    expect(reads.filter((x) => x.ok).length).toBeLessThanOrEqual(allowed('read', ms));
    let patched = 0;
    let limited: Response | undefined;
    for (let i = 0; i < BUDGETS.profile.burst + 5; i++) {
      const res = await fetch(`${server.url}/api/me`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ displayName: `Admin ${i}` }),
      });
      if (res.ok) patched++;
      else limited ??= res;
    }
    expect(patched).toBe(BUDGETS.profile.burst);
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('one sender fills at most a share of an offline colleague’s inbox; others still get through', async () => {
    const small = await startServer({ rateLimit: 0, inboxQuota: 40 });
    try {
      const [mallory, carol, bob] = await Promise.all(
        ['mallory', 'carol', 'bob'].map((p) => newUser(small.url, p)),
      );
      const own = rawSockets(() => small.url);
      const m = await own.connect(mallory!);
      const c = await own.connect(carol!);
      const answers: Answer[] = [];
      for (let i = 0; i < 30; i++) {
        answers.push(
          (await ask(m, 'msg:R', { id: `m${i}`, to: bob!.userId, body: 'x' })) as Answer,
        );
      }
      const share = 40 * SENDER_SHARE;
      expect(answers.filter((x) => x.ok)).toHaveLength(share);
      expect(answers[share]).toMatchObject({ ok: false, error: { code: 'inbox_full' } });
      expect(await ask(c, 'msg:R', { id: 'c1', to: bob!.userId, body: 'hello' })).toMatchObject({
        ok: true,
      });
      own.closeAll();
    } finally {
      await small.close();
    }
  });
});
