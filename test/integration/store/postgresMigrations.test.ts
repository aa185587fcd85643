import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migratePostgres,
  migrationsCurrent,
  schemaVersion,
} from '../../../server/store/postgres/migrate';
import { POSTGRES_MIGRATIONS } from '../../../server/store/postgres/migrations';
import { createPool } from '../../../server/store/postgres/pool';
import { startPostgres, type TestPostgres } from '../../support/postgres';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs `npm run migrate -- args` (tsx directly); returns its exit code and output. */
async function migrateCli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'server/migrateCli.ts', ...args],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * PostgreSQL's numbered migrations: applied once, by whichever node comes
 * first when several start together, and refused by code older than the
 * database.
 */
describe('PostgreSQL migrations', () => {
  let postgres: TestPostgres;
  let n = 0;
  const database = () => postgres.createDatabase(`migrations_${++n}`);

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 120_000);

  afterAll(async () => {
    await postgres?.stop();
  });

  it('npm run migrate applies every migration once, then has nothing to do', async () => {
    const url = await database();
    const first = await migrateCli('--database', url);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`0 → ${POSTGRES_MIGRATIONS.length}: applied 1-initial-schema`);
    const second = await migrateCli('--database', url);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('nothing to do');
    const pool = createPool(url, 1);
    try {
      expect(await migrationsCurrent(pool)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('nodes starting together: one applies, the others wait and find it done', async () => {
    const url = await database();
    const pools = [0, 1, 2, 3].map(() => createPool(url, 1));
    try {
      const reports = await Promise.all(pools.map((pool) => migratePostgres(pool)));
      expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(reports.every((r) => r.to === POSTGRES_MIGRATIONS.length)).toBe(true);
      expect(await schemaVersion(pools[0]!)).toBe(POSTGRES_MIGRATIONS.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('a failing migration leaves the database as it was and says which one failed', async () => {
    const url = await database();
    const pool = createPool(url, 1);
    try {
      const broken = [
        ...POSTGRES_MIGRATIONS,
        {
          version: POSTGRES_MIGRATIONS.length + 1,
          name: 'broken',
          sql: 'CREATE TABLE probe (x int); SELECT nonsense FROM nowhere',
        },
      ];
      await expect(migratePostgres(pool, broken)).rejects.toThrow(
        `migration ${broken.length} (broken) failed`,
      );
      expect(await schemaVersion(pool)).toBe(POSTGRES_MIGRATIONS.length);
      const { rows } = await pool.query("SELECT to_regclass('probe') AS t");
      expect(rows[0].t).toBeNull();
    } finally {
      await pool.end();
    }
  });

  it('code older than the database refuses to run on it', async () => {
    const url = await database();
    const pool = createPool(url, 1);
    try {
      const newer = [
        ...POSTGRES_MIGRATIONS,
        {
          version: POSTGRES_MIGRATIONS.length + 1,
          name: 'from-the-future',
          sql: 'CREATE TABLE later (x int)',
        },
      ];
      await migratePostgres(pool, newer);
      await expect(migratePostgres(pool)).rejects.toThrow('newer than this server');
      const cli = await migrateCli('--database', url);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain('newer than this server');
    } finally {
      await pool.end();
    }
  });

  it('bad arguments get a clear error and change nothing', async () => {
    const none = await migrateCli();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Give exactly one of --database and --data');
    const wrong = await migrateCli('--database', 'mysql://x');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('postgresql:// URL');
  });
});
