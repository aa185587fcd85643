import { parseArgs } from 'node:util';
import { Store } from './store';
import { migratePostgres } from './store/postgres/migrate';
import { createPool } from './store/postgres/pool';

const USAGE = `Usage: npm run migrate -- (--database postgresql://USER@HOST/DB | --data DIR)

Brings the store to this version's schema and says what it did:
  --database URL   a PostgreSQL database (several nodes may run this at once)
  --data DIR       the SQLite store in DIR (the server also migrates it on start)`;

/** `npm run migrate`: migrates a PostgreSQL database or a SQLite data directory. */
async function main(argv: string[]): Promise<number> {
  let values: { database?: string; data?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        database: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.database === undefined) === (values.data === undefined)) {
    console.error(`Give exactly one of --database and --data.\n\n${USAGE}`);
    return 2;
  }
  if (values.data !== undefined) {
    const store = new Store(values.data);
    store.close();
    console.log(`SQLite store in ${values.data}: schema current`);
    return 0;
  }
  if (!/^postgres(ql)?:\/\//.test(values.database!)) {
    console.error(`--database takes a postgresql:// URL.\n\n${USAGE}`);
    return 2;
  }
  const pool = createPool(values.database!, 1);
  try {
    const report = await migratePostgres(pool);
    console.log(
      report.applied.length === 0
        ? `PostgreSQL schema version ${report.to}: nothing to do`
        : `PostgreSQL schema version ${report.from} → ${report.to}: applied ${report.applied.join(', ')}`,
    );
    return 0;
  } catch (error) {
    console.error(`migration failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main(process.argv.slice(2));
