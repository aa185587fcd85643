/**
 * The schema of SQLite's version 7 (server/migrations.ts) in PostgreSQL,
 * plus the stream head: the one counter every log position is taken from
 * (docs/ARCHITECTURE.md §4, "Several writers"). Times are milliseconds
 * since the epoch (bigint), as in SQLite.
 */
export const initialSchema = `
CREATE TABLE users (
  id            text PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  created_at    bigint NOT NULL,
  read_receipts boolean NOT NULL DEFAULT true,
  is_admin      boolean NOT NULL DEFAULT false,
  disabled      boolean NOT NULL DEFAULT false
);

CREATE TABLE conversations (
  conv       text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('direct', 'group')),
  last_seq   bigint NOT NULL,
  created_at bigint NOT NULL,
  name       text,
  created_by text
);

CREATE TABLE members (
  conv       text NOT NULL REFERENCES conversations(conv) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  read_seq   bigint NOT NULL DEFAULT 0,
  role       text NOT NULL DEFAULT 'member',
  joined_seq bigint NOT NULL DEFAULT 1,
  left_seq   bigint,
  left_name  text,
  PRIMARY KEY (conv, user_id)
);
CREATE INDEX members_user ON members (user_id, conv);

CREATE TABLE periods (
  conv      text NOT NULL,
  user_id   text NOT NULL,
  from_seq  bigint NOT NULL,
  until_seq bigint,
  PRIMARY KEY (conv, user_id, from_seq)
);
CREATE INDEX periods_user ON periods (user_id, conv);

CREATE TABLE devices (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE,
  name         text NOT NULL,
  created_at   bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  expires_at   bigint NOT NULL,
  created_gseq bigint NOT NULL,
  cursor       bigint NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE device_acks (
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  gseq      bigint NOT NULL,
  PRIMARY KEY (device_id, gseq)
);

-- The last log position taken. One row; a transaction that stores entries
-- takes their positions from it as its last statement before COMMIT, so the
-- row lock orders positions as commits (see docs/ARCHITECTURE.md §4).
CREATE TABLE stream_head (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),
  position bigint NOT NULL
);
INSERT INTO stream_head (one, position) VALUES (true, 0);

CREATE TABLE messages (
  gseq          bigint PRIMARY KEY,
  conv          text NOT NULL,
  seq           bigint NOT NULL,
  sender        text NOT NULL,
  sender_device text,
  id            text NOT NULL,
  recipient     text NOT NULL,
  body          text,
  body_hash     bytea NOT NULL,
  ts            bigint NOT NULL,
  delivered_at  bigint,
  kind          text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'system')),
  recipients    integer NOT NULL DEFAULT 1,
  reply_seq     bigint,
  reply_sender  text,
  reply_id      text,
  reply_excerpt text,
  UNIQUE (sender, id),
  UNIQUE (conv, seq)
);
CREATE INDEX messages_undelivered ON messages (recipient, gseq) WHERE delivered_at IS NULL;
CREATE INDEX messages_recipient ON messages (recipient, gseq);
CREATE INDEX messages_sender ON messages (sender, gseq);

CREATE TABLE deliveries (
  conv    text NOT NULL,
  seq     bigint NOT NULL,
  user_id text NOT NULL,
  at      bigint NOT NULL,
  PRIMARY KEY (conv, seq, user_id)
);

CREATE TABLE reads (
  conv    text NOT NULL,
  user_id text NOT NULL,
  seq     bigint NOT NULL,
  at      bigint NOT NULL,
  shared  boolean NOT NULL DEFAULT true,
  PRIMARY KEY (conv, user_id, seq)
);

CREATE TABLE invites (
  id         text PRIMARY KEY,
  code_hash  bytea NOT NULL UNIQUE,
  created_by text REFERENCES users(id) ON DELETE SET NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  max_uses   integer NOT NULL,
  uses       integer NOT NULL DEFAULT 0,
  revoked_at bigint
);

CREATE TABLE reset_codes (
  user_id    text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  code_hash  bytea NOT NULL,
  expires_at bigint NOT NULL
);
`;
