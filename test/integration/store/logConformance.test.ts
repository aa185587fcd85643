import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, MAX_BODY_BYTES, type MsgR } from '../../../protocol';
import { Store, type StreamScope } from '../../../server/store';
import { postgresRepositories } from '../../../server/store/postgres';
import { storeMessageIn } from '../../../server/store/postgres/logRepository';
import { createPool } from '../../../server/store/postgres/pool';
import type { Repositories } from '../../../server/store/repositories';
import { sqliteRepositories } from '../../../server/store/sqlite/repositories';
import { startPostgres, type TestPostgres } from '../../support/postgres';
import { tempDir } from '../../support/servers';

/**
 * The conversation logs' contract, run against every store engine: SQLite
 * (one writer) and PostgreSQL (several). The same test for both; nothing
 * is skipped when PostgreSQL's binaries are missing (startPostgres throws).
 */

const DAY = 86_400_000;
let postgres: TestPostgres;
let databases = 0;

/** A fresh store of `engine`, empty, migrated. */
async function openStore(engine: 'sqlite' | 'postgresql'): Promise<Repositories> {
  if (engine === 'postgresql') {
    return postgresRepositories(await postgres.createDatabase(`conformance_${++databases}`), 20);
  }
  const tmp = tempDir();
  const repos = sqliteRepositories(new Store(tmp.dir));
  return {
    ...repos,
    close: async () => {
      await repos.close();
      tmp.remove();
    },
  };
}

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
});

/** Signs `user` in on a new device; returns its stream scope (protocol 2: mirror). */
async function signIn(repos: Repositories, user: string, device: string): Promise<StreamScope> {
  await repos.accounts.insertDevice(
    { deviceId: device, userId: user, name: device },
    randomBytes(32),
    Date.now(),
    Date.now() + DAY,
  );
  return { deviceId: device, userId: user, mirror: true };
}

/** Adds users by name (the id is the name). */
async function addUsers(repos: Repositories, ...names: string[]): Promise<void> {
  for (const name of names) {
    await repos.accounts.insertUser(
      { id: name, username: name, displayName: name, passwordHash: 'x' },
      Date.now(),
    );
  }
}

/** Reads a device's whole stream after `after`, page by page; returns its rows. */
async function readAll(repos: Repositories, scope: StreamScope, after = 0, limit = 7) {
  const rows = [];
  for (;;) {
    const page = await repos.logs.streamPage(scope, after, limit, 1 << 20);
    rows.push(...page.rows);
    after = page.lastGseq;
    if (!page.more) return { rows, after };
  }
}

const msg = (id: string, to: string, body = id, extra: Partial<MsgR> = {}): MsgR => ({
  id,
  to,
  body,
  ...extra,
});

describe.each(['sqlite', 'postgresql'] as const)('conversation logs on %s', (engine) => {
  let repos: Repositories;

  beforeAll(async () => {
    repos = await openStore(engine);
    await addUsers(repos, 'alice', 'bob', 'carol');
  });

  afterAll(async () => {
    await repos?.close();
  });

  it('gives each conversation seqs 1, 2, 3… and log positions in store order', async () => {
    const ab = directConversationId('alice', 'bob');
    const first = await repos.logs.storeMessage('alice', 'a1', msg('s1', 'bob'), 1);
    const second = await repos.logs.storeMessage('bob', 'b1', msg('s2', 'alice'), 2);
    const other = await repos.logs.storeMessage('alice', 'a1', msg('s3', 'carol'), 3);
    const third = await repos.logs.storeMessage('alice', 'a1', msg('s4', 'bob'), 4);
    expect(first).toMatchObject({ kind: 'stored', conv: ab, seq: 1, recipients: ['bob'] });
    expect(second).toMatchObject({ kind: 'stored', conv: ab, seq: 2 });
    expect(other).toMatchObject({
      kind: 'stored',
      conv: directConversationId('alice', 'carol'),
      seq: 1,
    });
    expect(third).toMatchObject({ kind: 'stored', conv: ab, seq: 3 });
    const gseqs = [first, second, other, third].map((r) => ('gseq' in r ? r.gseq : -1));
    expect([...gseqs].sort((a, b) => a - b)).toEqual(gseqs);
    expect(new Set(gseqs).size).toBe(4);
  });

  it('knows a message by (sender, id): a retransmission is a duplicate, a changed one a conflict', async () => {
    const original = await repos.logs.storeMessage('alice', 'a1', msg('same', 'bob', 'hello'), 10);
    // Bob chose the same id: a different message, stored too.
    const bobs = await repos.logs.storeMessage('bob', 'b1', msg('same', 'alice', 'hi'), 11);
    expect(original.kind).toBe('stored');
    expect(bobs.kind).toBe('stored');
    const again = await repos.logs.storeMessage('alice', 'a2', msg('same', 'bob', 'hello'), 12);
    expect(again).toMatchObject({
      kind: 'duplicate',
      seq: (original as { seq: number }).seq,
      gseq: (original as { gseq: number }).gseq,
      ts: 10,
      delivered: false,
    });
    expect(await repos.logs.storeMessage('alice', 'a1', msg('same', 'bob', 'changed'), 13)).toEqual(
      {
        kind: 'conflict',
      },
    );
    expect(await repos.logs.storeMessage('alice', 'a1', msg('same', 'carol', 'hello'), 13)).toEqual(
      {
        kind: 'conflict',
      },
    );
  });

  it('refuses a message whose earlier one (after) is not in the log, and a reply to another conversation', async () => {
    expect(
      await repos.logs.storeMessage('carol', 'c1', msg('o2', 'bob', 'second', { after: 'o1' }), 20),
    ).toEqual({ kind: 'out_of_order' });
    expect((await repos.logs.storeMessage('carol', 'c1', msg('o1', 'bob', 'first'), 21)).kind).toBe(
      'stored',
    );
    const second = await repos.logs.storeMessage(
      'carol',
      'c1',
      msg('o2', 'bob', 'second', { after: 'o1' }),
      22,
    );
    expect(second.kind).toBe('stored');
    // s3 is in alice↔carol, not in carol↔bob.
    expect(
      await repos.logs.storeMessage(
        'carol',
        'c1',
        msg('r1', 'bob', 'reply', { reply: { from: 'alice', id: 's3' } }),
        23,
      ),
    ).toEqual({ kind: 'bad_reply' });
    const reply = await repos.logs.storeMessage(
      'bob',
      'b1',
      msg('r2', 'carol', 'yes', { reply: { from: 'carol', id: 'o1' } }),
      24,
    );
    expect(reply).toMatchObject({
      kind: 'stored',
      reply: { from: 'carol', id: 'o1', excerpt: 'first' },
    });
  });

  it('gives each device its stream in log order: pages cover it once, a new device only what is undelivered', async () => {
    const db = await openStore(engine);
    try {
      await addUsers(db, 'dan', 'erin');
      const dan = await signIn(db, 'dan', 'dan-1');
      const danLaptop = await signIn(db, 'dan', 'dan-2');
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const from = i % 3 === 0 ? 'dan' : 'erin';
        const to = from === 'dan' ? 'erin' : 'dan';
        ids.push(`${from}:${i}`);
        await db.logs.storeMessage(
          from,
          from === 'dan' ? 'dan-1' : 'erin-1',
          msg(String(i), to),
          i,
        );
      }
      // Dan's phone: Erin's messages and none of its own (it wrote them).
      const phone = await readAll(db, dan);
      expect(phone.rows.map((r) => `${r.sender}:${r.id}`)).toEqual(
        ids.filter((i) => i.startsWith('erin')),
      );
      // Dan's laptop: everything, its own from the phone too (mirror).
      const laptop = await readAll(db, danLaptop);
      expect(laptop.rows.map((r) => `${r.sender}:${r.id}`)).toEqual(ids);
      const gseqs = laptop.rows.map((r) => r.gseq);
      expect(gseqs).toEqual([...gseqs].sort((a, b) => a - b));
      // A page stops at its byte budget, never below one row.
      const big = 'x'.repeat(MAX_BODY_BYTES);
      await db.logs.storeMessage('erin', 'erin-1', msg('big1', 'dan', big), 100);
      await db.logs.storeMessage('erin', 'erin-1', msg('big2', 'dan', big), 101);
      const tight = await db.logs.streamPage(dan, phone.after, 100, 1_000);
      expect(tight.rows.map((r) => r.id)).toEqual(['big1']);
      expect(tight.more).toBe(true);
      // Dan's phone confirms Erin's first message: delivered, once.
      const first = await db.logs.confirm(dan, 'erin', '1', 200);
      expect(first).toMatchObject({ byRecipient: true, first: true, seq: 2 });
      expect(await db.logs.confirm(danLaptop, 'erin', '1', 201)).toMatchObject({ first: false });
      // Erin may not confirm her own message as its recipient; a stranger not at all.
      await addUsers(db, 'frank');
      const frank = await signIn(db, 'frank', 'frank-1');
      expect(await db.logs.confirm(frank, 'erin', '1', 202)).toBeUndefined();
      // A device signed in now gets only what no device of Dan's confirmed.
      const tablet = await signIn(db, 'dan', 'dan-3');
      const late = await readAll(db, { ...tablet, mirror: false });
      expect(late.rows.map((r) => r.id)).not.toContain('1');
      expect(late.rows.map((r) => r.id)).toContain('2');
    } finally {
      await db.close();
    }
  });

  it('moves a device cursor over what it confirmed, never past what it did not', async () => {
    const db = await openStore(engine);
    try {
      await addUsers(db, 'gail', 'hank');
      const gail = await signIn(db, 'gail', 'gail-1');
      for (let i = 1; i <= 5; i++)
        await db.logs.storeMessage('hank', 'hank-1', msg(`h${i}`, 'gail'), i);
      const all = (await readAll(db, gail)).rows;
      for (const id of ['h1', 'h2', 'h4']) await db.logs.confirm(gail, 'hank', id, 10);
      const cursor = await db.logs.compact(gail);
      expect(cursor).toBe(all[1]!.gseq);
      // From the cursor the device is given what it has not confirmed: h3, h5.
      expect((await readAll(db, gail)).rows.map((r) => r.id)).toEqual(['h3', 'h5']);
      for (const id of ['h3', 'h5']) await db.logs.confirm(gail, 'hank', id, 11);
      expect(await db.logs.compact(gail)).toBe(all[4]!.gseq);
      expect((await readAll(db, gail)).rows).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('with writers storing at once, a device paging its stream meanwhile gets every message exactly once, in log order', async () => {
    const db = await openStore(engine);
    try {
      const people = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
      await addUsers(db, 'reader', ...people);
      const reader = await signIn(db, 'reader', 'reader-1');
      const PER_WRITER = 40;
      let writing = true;
      const writers = Promise.all(
        people.map(async (p) => {
          for (let i = 0; i < PER_WRITER; i++) {
            const result = await db.logs.storeMessage(p, `${p}-d`, msg(`${p}-${i}`, 'reader'), i);
            expect(result.kind).toBe('stored');
          }
        }),
      ).finally(() => {
        writing = false;
      });
      const seen: { id: string; gseq: number }[] = [];
      let after = 0;
      // Page while the writers write (each page after the last one's end),
      // then once more after they are done.
      for (let last = false; !last;) {
        last = !writing;
        const page = await db.logs.streamPage(reader, after, 16, 1 << 20);
        seen.push(...page.rows.map((r) => ({ id: r.id, gseq: r.gseq })));
        after = page.lastGseq;
        if (page.more) last = false;
        else if (writing) await new Promise((resolve) => setImmediate(resolve));
      }
      await writers;
      const ids = seen.map((s) => s.id);
      expect(ids.length).toBe(people.length * PER_WRITER);
      expect(new Set(ids).size).toBe(ids.length);
      const gseqs = seen.map((s) => s.gseq);
      expect(gseqs).toEqual([...gseqs].sort((a, b) => a - b));
      // Each conversation's seqs: 1..40, no gaps, each sender's order kept.
      for (const p of people) {
        const mine = seen
          .filter((s) => s.id.startsWith(`${p}-`))
          .map((s) => Number(s.id.split('-')[1]));
        expect(mine).toEqual([...Array(PER_WRITER).keys()]);
      }
    } finally {
      await db.close();
    }
  });
});

describe('PostgreSQL: several nodes writing the same conversations at once', () => {
  it('store every message, each conversation gap-free, with no deadlock between their batches', async () => {
    const url = await postgres.createDatabase(`nodes_${++databases}`);
    const nodes = [await postgresRepositories(url), await postgresRepositories(url)];
    try {
      const people = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5'];
      await addUsers(nodes[0]!, ...people);
      // Every pair writes on both nodes, in both directions: the nodes' batches
      // lock the same conversations in different orders.
      const PER = 15;
      const jobs = nodes.flatMap((node, n) =>
        (n === 0 ? people : [...people].reverse()).flatMap((from) =>
          people
            .filter((to) => to !== from)
            .map(async (to) => {
              for (let k = 0; k < PER; k++) {
                const id = `${n}-${from}-${to}-${k}`;
                const result = await node.logs.storeMessage(from, `${from}-d${n}`, msg(id, to), k);
                expect(result.kind, id).toBe('stored');
              }
            }),
        ),
      );
      const settled = await Promise.allSettled(jobs);
      // Deadlocks would be detected and broken by PostgreSQL (one batch
      // aborted after deadlock_timeout); none may have happened.
      expect(postgres.log().match(/deadlock detected/g) ?? []).toEqual([]);
      const failures = settled.filter((r) => r.status === 'rejected');
      expect(failures.map((f) => String((f as PromiseRejectedResult).reason)).slice(0, 3)).toEqual(
        [],
      );
      // Each conversation: 2 nodes × 2 directions × PER messages, seqs 1…n.
      const pool = createPool(url, 1);
      try {
        const { rows } = await pool.query<{
          conv: string;
          n: number;
          top: number;
          distinct: number;
        }>(
          'SELECT conv, count(*)::int AS n, max(seq)::int AS top, count(DISTINCT seq)::int AS distinct FROM messages GROUP BY conv',
        );
        expect(rows).toHaveLength((people.length * (people.length - 1)) / 2);
        for (const row of rows)
          expect(row).toMatchObject({ n: 4 * PER, top: 4 * PER, distinct: 4 * PER });
      } finally {
        await pool.end();
      }
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});

describe('PostgreSQL: a transaction that took a log position first commits first', () => {
  it('a writer that took a later position waits; a device paging and compacting meanwhile skips nothing', async () => {
    const url = await postgres.createDatabase(`interleave_${++databases}`);
    // Two nodes: B's message is stored by one, Cat's device reads on the other
    // (a node's writes queue behind its batch in flight, like SQLite's writer).
    const repos = await postgresRepositories(url);
    const node2 = await postgresRepositories(url);
    const pool = createPool(url, 2);
    const watcher = createPool(url, 1);
    try {
      await addUsers(repos, 'ann', 'ben', 'cat');
      const cat = await signIn(repos, 'cat', 'cat-1');
      // Writer A: stores ann's message and holds its transaction open.
      const a = await pool.connect();
      await a.query('BEGIN');
      const stored = await storeMessageIn(a, 'ann', 'ann-1', msg('first', 'cat'), 1);
      expect(stored.kind).toBe('stored');
      // Writer B: ben's message, a later position, on another connection.
      let bSettled = false;
      const b = repos.logs.storeMessage('ben', 'ben-1', msg('second', 'cat'), 2).finally(() => {
        bSettled = true;
      });
      // Wait until B has either committed or is waiting for A's lock.
      for (;;) {
        if (bSettled) break;
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Cat's device pages and compacts now, between the two commits.
      const before = await node2.logs.streamPage(cat, 0, 100, 1 << 20);
      for (const row of before.rows) await node2.logs.confirm(cat, row.sender, row.id, 3);
      await node2.logs.compact(cat);
      await a.query('COMMIT');
      a.release();
      expect((await b).kind).toBe('stored');
      const after = await readAll(node2, cat, before.lastGseq);
      const got = [...before.rows, ...after.rows].map((r) => r.id);
      expect(got, `before A's commit: [${before.rows.map((r) => r.id).join()}]`).toEqual([
        'first',
        'second',
      ]);
    } finally {
      await pool.end();
      await watcher.end();
      await node2.close();
      await repos.close();
    }
  });
});
