import { initialSchema } from './0001-initial-schema';

/** One numbered migration of the PostgreSQL schema. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Every migration, in order; version `n` is entry `n - 1`. Never edit one
 * once released: add the next (a file `NNNN-what-it-does.ts`).
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: 'initial-schema', sql: initialSchema },
];
