import pg from 'pg';

/** bigint columns (positions, times in ms) as numbers: every value we store is below 2^53. */
const INT8 = 20;

/** The parsers of our pools: int8 as a number, the rest as `pg` parses them. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connection pool to the PostgreSQL database at `url` (`postgresql://…`). */
export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, types: TYPES });
  // An idle client's error (the server restarted) must not crash the process;
  // the next query on the pool gets a new connection or the error.
  pool.on('error', () => undefined);
  // The same for a client in use: its query rejects with the error, which
  // is where it is handled; the event alone would be thrown as unhandled.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** PostgreSQL's SQLSTATE of a failed statement, if any. */
export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
