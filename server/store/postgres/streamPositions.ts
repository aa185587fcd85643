import type pg from 'pg';

/**
 * Takes the next `count` log positions (gseq) for entries this transaction
 * stores, and returns the first. The one rule that keeps device streams
 * correct with several writers (docs/ARCHITECTURE.md §4):
 *
 * - positions come from one counter row, `stream_head`, whose row lock the
 *   transaction holds until it commits or rolls back, so the next writer
 *   takes its positions only after this one's are visible: positions
 *   become visible in increasing order, and every position not yet
 *   visible is above every visible one;
 * - it is the transaction's last statement before its entries' inserts
 *   and COMMIT, so the lock is held for as short as it can be.
 *
 * A reader paging a stream by `gseq > after` therefore never passes over an
 * entry that commits later. A sequence (`nextval`) would not do: it hands
 * out positions in the order transactions ask, not the order they commit.
 */
export async function takePositions(client: pg.PoolClient, count = 1): Promise<number> {
  const { rows } = await client.query<{ position: number }>(
    'UPDATE stream_head SET position = position + $1 RETURNING position',
    [count],
  );
  return rows[0]!.position - count + 1;
}

/** The last log position taken by a committed transaction (a new device's cursor, `compact`). */
export async function visibleHead(client: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ position: number }>('SELECT position FROM stream_head');
  return rows[0]!.position;
}
