import type pg from 'pg';

/**
 * Takes the next `count` log positions (gseq) for entries this transaction
 * stores, and returns the first. The one rule that keeps device streams
 * correct with several writers (docs/ARCHITECTURE.md §4): positions come
 * from one counter row, `stream_head`, whose row lock the transaction holds
 * until it commits or rolls back, so the next writer takes its positions
 * only after this one's are visible: positions become visible in
 * increasing order, and every position not yet visible is above every
 * visible one. A sequence (`nextval`) would not do: it hands out positions
 * in the order transactions ask, not the order they commit.
 *
 * The transaction must have called {@link lockStreamHead} before it locked
 * any conversation row.
 */
export async function takePositions(client: pg.PoolClient, count = 1): Promise<number> {
  const { rows } = await client.query<{ position: number }>(
    'UPDATE stream_head SET position = position + $1 RETURNING position',
    [count],
  );
  return rows[0]!.position - count + 1;
}

/**
 * Locks `stream_head` for this transaction. Every writer that will take
 * positions calls it before it locks any conversation row: one lock order
 * for all (stream head, then conversations), so the batches of several
 * nodes cannot deadlock (two nodes writing the same conversations in
 * different orders did, 29 times in 33 s, before). Inside a node's batch
 * the lock is taken once and held to COMMIT; the batches of the nodes take
 * turns.
 */
export async function lockStreamHead(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT 1 FROM stream_head FOR UPDATE');
}

/** The last log position taken by a committed transaction (a new device's cursor, `compact`). */
export async function visibleHead(client: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ position: number }>('SELECT position FROM stream_head');
  return rows[0]!.position;
}
