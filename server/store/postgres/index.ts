import type { Repositories } from '../repositories';
import { PostgresAccountsRepository } from './accountsRepository';
import { PostgresLogRepository } from './logRepository';
import { migratePostgres } from './migrate';
import { createPool } from './pool';

/**
 * The PostgreSQL store at `url` as {@link Repositories}, migrated to the
 * newest schema first (under the migration lock, so nodes may start
 * together).
 */
export async function postgresRepositories(url: string, poolSize = 10): Promise<Repositories> {
  const pool = createPool(url, poolSize);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    engine: 'postgresql',
    accounts: new PostgresAccountsRepository(pool),
    logs: new PostgresLogRepository(pool),
    close: () => pool.end(),
  };
}
