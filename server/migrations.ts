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
  // v2: every conversation is an ordered log (conversations, members,
  // messages.seq), every sign-in is a device with a cursor into the person's
  // logs, and messages keep their bodies. Rows acknowledged under v1 had their
  // body cleared then; they stay, without a body, so that a late
  // retransmission is still recognised.
  `
  PRAGMA defer_foreign_keys = ON;

  CREATE TABLE conversations (
    conv       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    last_seq   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE members (
    conv     TEXT NOT NULL REFERENCES conversations(conv) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Highest seq this person has read (on any of their devices).
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conv, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX members_user ON members (user_id, conv);

  -- One row per sign-in. cursor: every message of the device's stream up to
  -- this gseq is confirmed by it. created_gseq: the log position when it
  -- signed in; older messages reach it only while still undelivered.
  CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    created_gseq INTEGER NOT NULL,
    cursor       INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX devices_user ON devices (user_id);

  -- Confirmations above a device's cursor (messages confirmed out of order).
  CREATE TABLE device_acks (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    gseq      INTEGER NOT NULL,
    PRIMARY KEY (device_id, gseq)
  ) WITHOUT ROWID;

  -- gseq: the server's store order over all conversations. seq: the place in
  -- the conversation, 1, 2, 3... without gaps. delivered_at: the first device
  -- of the recipient confirmed it.
  CREATE TABLE messages_v2 (
    gseq          INTEGER PRIMARY KEY,
    conv          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    sender        TEXT NOT NULL,
    sender_device TEXT,
    id            TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    body          TEXT,
    body_hash     BLOB NOT NULL,
    ts            INTEGER NOT NULL,
    delivered_at  INTEGER,
    UNIQUE (sender, id),
    UNIQUE (conv, seq)
  );

  INSERT INTO messages_v2
    (gseq, conv, seq, sender, sender_device, id, recipient, body, body_hash, ts, delivered_at)
  SELECT seq,
         'd:' || min(sender, recipient) || ':' || max(sender, recipient),
         row_number() OVER (PARTITION BY min(sender, recipient), max(sender, recipient) ORDER BY seq),
         sender, NULL, id, recipient, body, body_hash, ts, acked_at
  FROM messages;

  INSERT INTO conversations (conv, kind, last_seq, created_at)
  SELECT conv, 'direct', max(seq), min(ts) FROM messages_v2 GROUP BY conv;

  INSERT INTO members (conv, user_id)
  SELECT conv, sender FROM messages_v2 UNION SELECT conv, recipient FROM messages_v2;

  -- v1 knew nothing of reading: what a person's device acknowledged counts
  -- as read, what still waits in their inbox as unread.
  UPDATE members SET read_seq = coalesce(
    (SELECT min(m.seq) - 1 FROM messages_v2 m
      WHERE m.conv = members.conv AND m.recipient = members.user_id AND m.delivered_at IS NULL),
    (SELECT c.last_seq FROM conversations c WHERE c.conv = members.conv));

  INSERT INTO devices (id, user_id, token_hash, name, created_at, last_seen_at, created_gseq, cursor)
  SELECT lower(hex(randomblob(16))), s.user_id, s.token_hash, 'Signed in before the upgrade',
         s.created_at, s.created_at, g.top, g.top
  FROM sessions s, (SELECT coalesce(max(gseq), 0) AS top FROM messages_v2) g;

  DROP TABLE sessions;
  DROP TABLE messages;
  ALTER TABLE messages_v2 RENAME TO messages;
  -- A recipient's undelivered messages: what a newly signed-in device still gets.
  CREATE INDEX messages_undelivered ON messages (recipient, gseq) WHERE delivered_at IS NULL;
  `,
  // v3: groups (name, roles, membership periods as log positions), per-member
  // delivery of group messages, the read-position history (for message info),
  // the read-receipts preference, and system entries in the log.
  `
  ALTER TABLE conversations ADD COLUMN name TEXT;
  ALTER TABLE conversations ADD COLUMN created_by TEXT;

  ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
  -- seq of the entry that made them a member, and of the one that ended it.
  ALTER TABLE members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE members ADD COLUMN left_seq INTEGER;

  -- What part of a group's log a person may see: one row per membership.
  CREATE TABLE periods (
    conv      TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    from_seq  INTEGER NOT NULL,
    until_seq INTEGER,
    PRIMARY KEY (conv, user_id, from_seq)
  ) WITHOUT ROWID;

  -- A group message reached a device of this member (first one only).
  CREATE TABLE deliveries (
    conv    TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (conv, seq, user_id)
  ) WITHOUT ROWID;

  -- Each move of a read position (one row per read:R that moved it, not per message).
  CREATE TABLE reads (
    conv    TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (conv, user_id, seq)
  ) WITHOUT ROWID;

  ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
  -- How many members other than the sender the message was for.
  ALTER TABLE messages ADD COLUMN recipients INTEGER NOT NULL DEFAULT 1;

  ALTER TABLE users ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 1;
  `,
  // v4 (issue 10): admins and disabled accounts, sessions that expire
  // (sliding: each use moves expires_at), invites and password-reset codes,
  // both stored only as SHA-256 hashes of the code. On an upgraded server the
  // oldest account becomes the admin, and every session gets 30 days from the
  // upgrade (not from its last use: an upgrade signs nobody out).
  `
  ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
  UPDATE users SET is_admin = 1
   WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);

  ALTER TABLE devices ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
  UPDATE devices SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 30 * 86400000;

  CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    code_hash  BLOB NOT NULL UNIQUE,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_uses   INTEGER NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
  ) WITHOUT ROWID;

  -- At most one live reset code per person; a new one replaces it.
  CREATE TABLE reset_codes (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // v5 (issue 11): replies. A reply names the message it answers (sender and
  // id, and its seq in the same conversation) and keeps the start of its text
  // as it was when the reply was stored.
  `
  ALTER TABLE messages ADD COLUMN reply_seq INTEGER;
  ALTER TABLE messages ADD COLUMN reply_sender TEXT;
  ALTER TABLE messages ADD COLUMN reply_id TEXT;
  ALTER TABLE messages ADD COLUMN reply_excerpt TEXT;
  `,
  // v6 (issue 12): a device's stream read through indexes (store.ts, unconfirmedGseqs):
  // the messages to a person and the person's own, each in store order, so that
  // catching a device up or moving its cursor costs what its stream holds, not
  // a scan of everything stored since.
  `
  CREATE INDEX messages_recipient ON messages (recipient, gseq);
  CREATE INDEX messages_sender ON messages (sender, gseq);
  CREATE INDEX periods_user ON periods (user_id, conv);
  `,
  // v7 (issue 20): read receipts off means off for ever. Each move of a read
  // position records whether its reader's receipts were on then (`shared`):
  // only such moves are ever shown to senders. Moves recorded before take the
  // reader's setting now; read positions older than the moves table (v2) get
  // one move, at the upgrade. A former member keeps the group's name as it
  // was when they left (from the log's created/renamed entries).
  `
  ALTER TABLE reads ADD COLUMN shared INTEGER NOT NULL DEFAULT 1;
  UPDATE reads SET shared = 0 WHERE user_id IN (SELECT id FROM users WHERE read_receipts = 0);
  INSERT OR IGNORE INTO reads (conv, user_id, seq, at, shared)
    SELECT mb.conv, mb.user_id, mb.read_seq,
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), u.read_receipts
    FROM members mb JOIN users u ON u.id = mb.user_id
    WHERE mb.read_seq > coalesce(
      (SELECT max(r.seq) FROM reads r WHERE r.conv = mb.conv AND r.user_id = mb.user_id), 0);

  ALTER TABLE members ADD COLUMN left_name TEXT;
  UPDATE members SET left_name = coalesce(
      (SELECT CASE WHEN json_valid(m.body) THEN json_extract(m.body, '$.name') END
       FROM messages m
       WHERE m.conv = members.conv AND m.kind = 'system' AND m.seq <= members.left_seq
         AND (m.body LIKE '{"type":"created"%' OR m.body LIKE '{"type":"renamed"%')
       ORDER BY m.seq DESC LIMIT 1),
      (SELECT c.name FROM conversations c WHERE c.conv = members.conv))
    WHERE left_seq IS NOT NULL;
  `,
];
