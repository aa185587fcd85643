import Database from 'better-sqlite3';
import path from 'node:path';

/** The server's database file inside its data directory. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'tickline.sqlite3');
}

/** Runs `read` on a read-only connection to the server's database, closed afterwards. */
export function readDatabase<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(databaseFile(dataDir), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Quotes an SQL identifier. */
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** One value as text that keeps its type: blobs as hex, numbers apart from strings. */
function encode(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { blob: value.toString('hex') };
  if (typeof value === 'bigint') return { int: value.toString() };
  return value;
}

/**
 * The whole database as one deterministic text: the schema (every entry of
 * `sqlite_master`, sorted), `PRAGMA user_version`, and every row of every
 * table, each table sorted by all of its columns. Two snapshots are equal
 * exactly when the contents are.
 */
export function snapshotDatabase(dataDir: string): string {
  return readDatabase(dataDir, (db) => {
    const schema = db
      .prepare(
        'SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master ORDER BY type, name, tbl_name',
      )
      .all() as { type: string; name: string; tbl: string; sql: string | null }[];
    const lines: string[] = [
      `user_version ${JSON.stringify(db.pragma('user_version', { simple: true }))}`,
      ...schema.map((s) => `schema ${JSON.stringify(s)}`),
    ];
    for (const { name } of schema.filter((s) => s.type === 'table')) {
      const columns = (db.pragma(`table_info(${ident(name)})`) as { name: string }[]).map((c) =>
        ident(c.name),
      );
      const rows = db
        .prepare(`SELECT ${columns.join(', ')} FROM ${ident(name)} ORDER BY ${columns.join(', ')}`)
        .raw()
        .all() as unknown[][];
      lines.push(`table ${name} ${rows.length}`);
      for (const row of rows) lines.push(JSON.stringify(row.map(encode)));
    }
    return lines.join('\n');
  });
}

/** One stored message as the server's log holds it. */
export interface ServerRow {
  gseq: number;
  conv: string;
  seq: number;
  from: string;
  to: string;
  id: string;
  body: string | null;
  kind: string;
}

/** Every row of the server's `messages` table, in `gseq` order. */
export function serverMessages(dataDir: string): ServerRow[] {
  return readDatabase(
    dataDir,
    (db) =>
      db
        .prepare(
          'SELECT gseq, conv, seq, sender AS "from", recipient AS "to", id, body, kind FROM messages ORDER BY gseq',
        )
        .all() as ServerRow[],
  );
}
