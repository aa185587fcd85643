/**
 * Versioned schema migrations. Entry `i` moves the database from
 * `user_version = i` to `i + 1`; never edit an entry once released.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- One row per (sender, id) for ever. seq is the store order: offline:R
  -- pages by it. body is cleared once the recipient acknowledges; body_hash
  -- stays so a late retransmission can still be told apart from a conflict.
  CREATE TABLE messages (
    seq        INTEGER PRIMARY KEY,
    sender     TEXT NOT NULL,
    id         TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    body       TEXT,
    body_hash  BLOB NOT NULL,
    ts         INTEGER NOT NULL,
    acked_at   INTEGER,
    UNIQUE (sender, id)
  );

  -- The inbox: what each recipient has not acknowledged yet.
  CREATE INDEX messages_inbox ON messages (recipient, seq) WHERE acked_at IS NULL;
  `,
];
