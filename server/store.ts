import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MsgN, MsgR } from '../protocol';
import { MIGRATIONS } from './migrations';

/** A user row as the server needs it. */
export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

/** Outcome of storing one `msg:R`. */
export type StoreResult =
  | { kind: 'stored'; ts: number }
  | { kind: 'duplicate'; ts: number; acked: boolean }
  | { kind: 'conflict' };

/** A message some recipient acknowledged: who to tell, and what. */
export interface AckedMessage {
  sender: string;
  id: string;
  recipient: string;
  ts: number;
}

/** One page of a recipient's inbox. */
export interface InboxPage {
  messages: MsgN[];
  lastSeq: number;
  more: boolean;
}

interface MessageRow {
  seq: number;
  sender: string;
  id: string;
  recipient: string;
  body: string;
  ts: number;
}

function hashBody(body: string): Buffer {
  return createHash('sha256').update(body, 'utf8').digest();
}

/**
 * The im-server's durable state in SQLite (WAL, synchronous=FULL). All
 * statements are prepared once. Methods are synchronous; callers that write
 * go through a {@link GroupCommit} so one transaction covers a whole tick.
 */
export class Store {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'tickline.sqlite3'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    const db = this.db;
    this.stmts = {
      insertUser: db.prepare(
        'INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      userByName: db.prepare(
        'SELECT id, username, display_name AS displayName, password_hash AS passwordHash FROM users WHERE username = ?',
      ),
      allUsers: db.prepare(
        'SELECT id, username, display_name AS displayName FROM users ORDER BY username',
      ),
      insertSession: db.prepare(
        'INSERT INTO sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)',
      ),
      sessionUser: db.prepare('SELECT user_id AS userId FROM sessions WHERE token_hash = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
      insertMessage: db.prepare(
        `INSERT INTO messages (sender, id, recipient, body, body_hash, ts)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sender, id) DO NOTHING`,
      ),
      messageById: db.prepare(
        'SELECT recipient, body_hash AS bodyHash, ts, acked_at AS ackedAt FROM messages WHERE sender = ? AND id = ?',
      ),
      ackMessage: db.prepare(
        `UPDATE messages SET acked_at = ?, body = NULL
         WHERE sender = ? AND id = ? AND recipient = ? AND acked_at IS NULL`,
      ),
      ackedTs: db.prepare('SELECT ts FROM messages WHERE sender = ? AND id = ? AND recipient = ?'),
      inboxPage: db.prepare(
        `SELECT seq, sender, id, recipient, body, ts FROM messages
         WHERE recipient = ? AND acked_at IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      counts: db.prepare(
        'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM messages WHERE acked_at IS NULL) AS inbox',
      ),
    };
  }

  /** Adds a user; throws `SQLITE_CONSTRAINT_UNIQUE` when the name is taken. */
  insertUser(user: UserRecord, now: number): void {
    this.stmts.insertUser.run(user.id, user.username, user.displayName, user.passwordHash, now);
  }

  /** Looks a user up by lower-case username. */
  userByName(username: string): UserRecord | undefined {
    return this.stmts.userByName.get(username) as UserRecord | undefined;
  }

  /** Every user, ordered by username. */
  allUsers(): Omit<UserRecord, 'passwordHash'>[] {
    return this.stmts.allUsers.all() as Omit<UserRecord, 'passwordHash'>[];
  }

  /** Records a session by the hash of its token. */
  insertSession(tokenHash: Buffer, userId: string, now: number): void {
    this.stmts.insertSession.run(tokenHash, userId, now);
  }

  /** The user a session token hash belongs to. */
  sessionUser(tokenHash: Buffer): string | undefined {
    const row = this.stmts.sessionUser.get(tokenHash) as { userId: string } | undefined;
    return row?.userId;
  }

  /** Ends a session. */
  deleteSession(tokenHash: Buffer): void {
    this.stmts.deleteSession.run(tokenHash);
  }

  /**
   * Stores a message once per `(sender, id)`. A retransmission of the same
   * message reports the original `ts`; a different `to` or body under the
   * same id is a conflict.
   */
  storeMessage(sender: string, msg: MsgR, now: number): StoreResult {
    const bodyHash = hashBody(msg.body);
    const info = this.stmts.insertMessage.run(sender, msg.id, msg.to, msg.body, bodyHash, now);
    if (info.changes === 1) return { kind: 'stored', ts: now };
    const row = this.stmts.messageById.get(sender, msg.id) as
      { recipient: string; bodyHash: Buffer; ts: number; ackedAt: number | null } | undefined;
    if (!row) throw new Error('message vanished during insert');
    if (row.recipient !== msg.to || !row.bodyHash.equals(bodyHash)) return { kind: 'conflict' };
    return { kind: 'duplicate', ts: row.ts, acked: row.ackedAt !== null };
  }

  /**
   * Marks `(sender, id)` acknowledged by `recipient`. Returns the message
   * (also when it was already acknowledged), or undefined when `recipient`
   * is not its recipient or it does not exist.
   */
  ackMessage(recipient: string, sender: string, id: string, now: number): AckedMessage | undefined {
    this.stmts.ackMessage.run(now, sender, id, recipient);
    const row = this.stmts.ackedTs.get(sender, id, recipient) as { ts: number } | undefined;
    return row ? { sender, id, recipient, ts: row.ts } : undefined;
  }

  /** Marks `(sender, id)` acknowledged by `recipient`; false when there was nothing to mark. */
  markAcked(recipient: string, sender: string, id: string, now: number): boolean {
    return this.stmts.ackMessage.run(now, sender, id, recipient).changes === 1;
  }

  /** The `ts` of message `(sender, id)` when `recipient` is its recipient. */
  messageTs(recipient: string, sender: string, id: string): number | undefined {
    const row = this.stmts.ackedTs.get(sender, id, recipient) as { ts: number } | undefined;
    return row?.ts;
  }

  /** Unacknowledged messages of `recipient` stored after `afterSeq`. */
  inboxPage(recipient: string, afterSeq: number, limit: number): InboxPage {
    const rows = this.stmts.inboxPage.all(recipient, afterSeq, limit + 1) as MessageRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    return {
      messages: rows.map((r) => ({
        id: r.id,
        from: r.sender,
        to: r.recipient,
        body: r.body,
        ts: r.ts,
      })),
      lastSeq: rows.length > 0 ? rows[rows.length - 1]!.seq : afterSeq,
      more,
    };
  }

  /** Row counts, for tests and diagnostics. */
  counts(): { users: number; messages: number; inbox: number } {
    return this.stmts.counts.get() as { users: number; messages: number; inbox: number };
  }

  /** Checkpoints the WAL and closes the database. */
  close(): void {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this server (${MIGRATIONS.length})`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
