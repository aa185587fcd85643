import type pg from 'pg';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './migrations';

/**
 * The advisory lock every node takes to migrate: nodes started together
 * migrate one after the other, and each later one finds nothing to do.
 */
const MIGRATION_LOCK = 7_421_001;

/** What {@link migratePostgres} did. */
export interface MigrationReport {
  /** The schema version before. */
  from: number;
  /** The schema version now. */
  to: number;
  /** The migrations this call applied (none when another node had). */
  applied: string[];
}

/**
 * Brings the database at `pool` to the newest schema: each pending
 * migration in its own transaction, recorded in `schema_migrations`, all
 * under one advisory lock. Refuses a database whose schema is newer than
 * this code (an older node must not write to it). `migrations` is for tests.
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version    integer PRIMARY KEY,
           name       text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const from = await schemaVersion(client);
      const newest = migrations.length;
      if (from > newest) {
        throw new Error(
          `the database's schema is version ${from}, newer than this server's ${newest}: upgrade this node first`,
        );
      }
      const applied: string[] = [];
      for (const migration of migrations.slice(from)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(
            `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
        applied.push(`${migration.version}-${migration.name}`);
      }
      return { from, to: newest, applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** The highest migration recorded (0 for an empty database). */
export async function schemaVersion(client: pg.Pool | pg.PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>(
    "SELECT to_regclass('schema_migrations') AS t",
  );
  if (exists.rows[0]?.t == null) return 0;
  const { rows } = await client.query<{ v: number | null }>(
    'SELECT max(version) AS v FROM schema_migrations',
  );
  return rows[0]?.v ?? 0;
}

/** True when the database's schema is exactly this code's (`/readyz`). */
export async function migrationsCurrent(pool: pg.Pool): Promise<boolean> {
  return (await schemaVersion(pool)) === POSTGRES_MIGRATIONS.length;
}
