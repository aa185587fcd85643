/**
 * The conversation-log repository alone, on each engine, in one run:
 * `npm run bench:store [-- --messages 4000] [--writers 16] [--light 300]`.
 *
 * SQLite (today's `Store`, `synchronous=FULL`) and PostgreSQL 15 (started
 * by the bench from Debian's package, like the tests; fsync on), both
 * through `Repositories` with group commit (SQLite's `GroupCommit` on this
 * thread, PostgreSQL's `PgGroupCommit`): the stores' cost without sockets.
 * `writers` loops store at once (to 100 people); the light load is one
 * message at a time. Prints msg/s and p50/p95 per message, and
 * PostgreSQL's as ratios to SQLite's.
 */
import { parseArgs } from 'node:util';
import type { Repositories } from '../server/store/repositories';
import { postgresRepositories } from '../server/store/postgres';
import { sqliteRepositories } from '../server/store/sqlite/repositories';
import { GroupCommit } from '../server/groupCommit';
import { Store } from '../server/store';
import { startPostgres } from '../test/support/postgres';
import { tempDir } from '../test/support/servers';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '4000' },
    writers: { type: 'string', default: '16' },
    light: { type: 'string', default: '300' },
  },
});
const MESSAGES = Number(values.messages);
const WRITERS = Number(values.writers);
const LIGHT = Number(values.light);
const PEOPLE = 100;

/** The p-th percentile of `xs` (ms). */
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** Throughput with `WRITERS` at once, then latency one at a time, on `repos`. */
async function measure(repos: Repositories) {
  for (let i = 0; i < PEOPLE; i++) {
    await repos.accounts.insertUser(
      { id: `p${i}`, username: `p${i}`, displayName: `p${i}`, passwordHash: 'x' },
      Date.now(),
    );
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let n = next++; n < MESSAGES; n = next++) {
        const from = `p${n % PEOPLE}`;
        const to = `p${(n + 1) % PEOPLE}`;
        const result = await repos.logs.storeMessage(
          from,
          'd',
          { id: `m${n}`, to, body: `message ${n}` },
          n,
        );
        if (result.kind !== 'stored') throw new Error(`message ${n}: ${result.kind}`);
      }
    }),
  );
  const perSecond = MESSAGES / ((performance.now() - started) / 1000);
  const times: number[] = [];
  for (let n = 0; n < LIGHT; n++) {
    const t = performance.now();
    await repos.logs.storeMessage('p0', 'd', { id: `light${n}`, to: 'p1', body: 'light' }, n);
    times.push(performance.now() - t);
  }
  return { perSecond, p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

const tmp = tempDir('tickline-bench-store-');
const postgres = await startPostgres();
try {
  const store = new Store(tmp.dir);
  const sqlite = sqliteRepositories(store, new GroupCommit(store.db));
  const lite = await measure(sqlite).finally(() => sqlite.close());
  const pg = await postgresRepositories(await postgres.createDatabase('bench'), WRITERS);
  const post = await measure(pg).finally(() => pg.close());
  const row = (name: string, r: typeof lite, ratio: string) =>
    `| ${name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${ratio} |`;
  console.log(
    [
      `storeMessage with group commit: ${MESSAGES} messages by ${WRITERS} writers, then ${LIGHT} one at a time`,
      '| engine | msg/s | p50 ms | p95 ms | vs SQLite |',
      '|---|---|---|---|---|',
      row('SQLite (FULL)', lite, '1'),
      row(
        'PostgreSQL 15',
        post,
        `${(post.perSecond / lite.perSecond).toFixed(2)}× msg/s, ${(post.p50 / lite.p50).toFixed(2)}× p50`,
      ),
    ].join('\n'),
  );
} finally {
  await postgres.stop();
  tmp.remove();
}
