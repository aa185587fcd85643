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
  return pool;
}

/** PostgreSQL's SQLSTATE of a failed statement, if any. */
export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * Runs `work` in one transaction on a client of `pool` and commits; rolls
 * back and rethrows on any error. A transaction that fails with a
 * serialization failure or a deadlock runs again (at most `attempts` times).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped, not reused.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (attempt >= attempts || !RETRYABLE.has(sqlState(error) ?? '')) throw error;
    } finally {
      client.release(broken);
    }
  }
}
