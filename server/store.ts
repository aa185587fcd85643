import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  directConversationId,
  directPeer,
  isGroupId,
  type ConversationId,
  type ConversationSummary,
  replyExcerpt,
  type MsgR,
  type ReadState,
  type ReplyQuote,
} from '../protocol';
import {
  checkDatabase,
  DATABASE_FILE,
  lockDataDir,
  prepareDataDir,
  privateFile,
  privateIfPresent,
  type DataDirLock,
} from './dataDir';
import { MIGRATIONS } from './migrations';
import { periodCovers, sawEntry, sawInGroup } from './periods';
import { DEFAULT_SESSION_TTL_MS } from './sessions';

/** A user row as the server needs it. */
export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  isAdmin: boolean;
  disabled: boolean;
}

/** A user row without the password hash, as listed. */
export interface UserSummary extends Omit<UserRecord, 'passwordHash'> {
  createdAt: number;
}

/** A device (one sign-in) as the server keeps it. */
export interface DeviceRecord {
  deviceId: string;
  userId: string;
  name: string;
  createdAt: number;
  lastSeenAt: number;
  /** When its session ends unless used before. */
  expiresAt: number;
  /** Log position when the device signed in. */
  createdGseq: number;
  /** Every message of the device's stream up to here is confirmed. */
  cursor: number;
}

/** Where a stored message sits in its conversation. */
export interface Placement {
  ts: number;
  conv: ConversationId;
  seq: number;
  gseq: number;
}

/** Outcome of storing one `msg:R`. */
export type StoreResult =
  | ({ kind: 'stored'; recipients: string[]; reply?: ReplyQuote } & Placement)
  | ({ kind: 'duplicate'; delivered: boolean; reply?: ReplyQuote } & Placement)
  | { kind: 'conflict' }
  | { kind: 'not_member' }
  /** `reply` names no text message of this conversation that the sender could see. */
  | { kind: 'bad_reply' }
  /** `after` names a message of the sender's that this conversation does not hold (yet). */
  | { kind: 'out_of_order' };

/** One message as the log holds it. */
export interface LogRow {
  gseq: number;
  conv: ConversationId;
  seq: number;
  sender: string;
  id: string;
  recipient: string;
  /** Null when it expired, or was acknowledged before the v2 upgrade. */
  body: string | null;
  ts: number;
  deliveredAt: number | null;
  /** `system` for a membership change (its body is a group event as JSON). */
  kind: 'text' | 'system';
  /** How many members other than the sender it was for. */
  recipients: number;
  /** A reply: the message it answers (all four set, or all null). */
  replySeq: number | null;
  replyFrom: string | null;
  replyId: string | null;
  replyExcerpt: string | null;
}

/** A confirmation by one device: what it confirmed and what the sender must hear. */
export interface Confirmation {
  sender: string;
  id: string;
  recipient: string;
  ts: number;
  conv: ConversationId;
  seq: number;
  /** The confirming device belongs to a recipient (so the sender learns `delivered`). */
  byRecipient: boolean;
  /** A group message: delivery is counted per member. */
  group: boolean;
}

/** A confirmation found, with what writing it needs. */
export interface FoundConfirmation extends Confirmation {
  gseq: number;
  deliveredAt: number | null;
  kind: 'text' | 'system';
}

/** Which messages a device receives. */
export interface StreamScope {
  deviceId: string;
  userId: string;
  /**
   * Protocol 2+: the person's own messages from their other devices too.
   * Wire-v1 devices receive only messages addressed to them.
   */
  mirror: boolean;
}

/** One catch-up page of a device. */
export interface StreamPage {
  rows: LogRow[];
  /** gseq of the last row (the page cursor continues after it). */
  lastGseq: number;
  more: boolean;
}

const DEVICE_COLUMNS = `id AS deviceId, user_id AS userId, name, created_at AS createdAt,
  last_seen_at AS lastSeenAt, expires_at AS expiresAt, created_gseq AS createdGseq, cursor`;

const USER_COLUMNS = `id, username, display_name AS displayName, is_admin AS isAdmin, disabled`;

/** SQLite's 0/1 flags of a user row as booleans. */
function userFlags<T extends { isAdmin: unknown; disabled: unknown }>(row: T): T {
  return { ...row, isAdmin: row.isAdmin === 1, disabled: row.disabled === 1 };
}

const LOG_COLUMNS = `gseq, conv, seq, sender, id, recipient, body, ts, delivered_at AS deliveredAt,
  kind, recipients, reply_seq AS replySeq, reply_sender AS replyFrom, reply_id AS replyId,
  reply_excerpt AS replyExcerpt`;

/** `m` (a message of a group) lies inside one of `:user`'s membership periods. */
const IN_PERIOD = sawInGroup('m.conv', ':user', 'm.seq');

/** The name of group `c` as member `mb` knows it: the current one, or the one it had when they left. */
const NAME_SEEN =
  'CASE WHEN mb.left_seq IS NULL THEN c.name ELSE coalesce(mb.left_name, c.name) END';

/** `m` is one member `mb` could see: any of a direct conversation, of a group one in their periods. */
const MEMBER_SAW = sawEntry('c.kind', 'm.conv', 'mb.user_id', 'm.seq');

/**
 * Cuts `rows` (fetched with one row beyond `limit`) to a page: at most
 * `limit` rows and `maxBytes` on the wire, never less than one row. Returns
 * whether rows were left out.
 */
export function cutPage(rows: LogRow[], limit: number, maxBytes: number): boolean {
  let bytes = 0;
  let take = 0;
  while (take < rows.length && take < limit) {
    bytes += wireSize(rows[take]!);
    if (take > 0 && bytes > maxBytes) break;
    take++;
  }
  const more = take < rows.length;
  rows.length = take;
  return more;
}

/** The SHA-256 of a body: what tells a retransmission from a conflict once the body is gone. */
export function hashBody(body: string): Buffer {
  return createHash('sha256').update(body, 'utf8').digest();
}

/** The message a row replies to, as entries carry it; undefined when it is no reply. */
export function replyOf(
  row: Pick<LogRow, 'replySeq' | 'replyFrom' | 'replyId' | 'replyExcerpt'>,
): ReplyQuote | undefined {
  if (row.replySeq === null || row.replyFrom === null || row.replyId === null) return undefined;
  return {
    from: row.replyFrom,
    id: row.replyId,
    seq: row.replySeq,
    excerpt: row.replyExcerpt ?? '',
  };
}

/** The JSON size of a row as a `msg:N` payload, with the longest `state` (plus a comma). */
export function wireSize(row: LogRow): number {
  const { sender: from, recipient: to, id, body, ts, seq, conv } = row;
  const reply = replyOf(row);
  return (
    Buffer.byteLength(
      JSON.stringify({ id, from, to, body, ts, seq, conv, state: 'delivered', reply }),
    ) + 1
  );
}

/** The message a reply names, as the store finds it by `(sender, id)`. */
export interface QuotedRow {
  conv: ConversationId;
  seq: number;
  body: string | null;
  kind: string;
}

/**
 * The quote of a reply in `conv` to message `ref` (found as `row`): only a
 * text message of the same conversation that the sender could see (in a
 * group, `sawSeq` of its seq); undefined otherwise. Every store uses this.
 */
export function quoteOf(
  conv: ConversationId,
  ref: { from: string; id: string },
  row: QuotedRow | undefined,
  sawSeq: (seq: number) => boolean,
): ReplyQuote | undefined {
  if (!row || row.conv !== conv || row.kind !== 'text') return undefined;
  if (isGroupId(conv) && !sawSeq(row.seq)) return undefined;
  return { from: ref.from, id: ref.id, seq: row.seq, excerpt: replyExcerpt(row.body ?? '') };
}

/** A message already stored under `(sender, id)`, as `messageById` reads it. */
export interface StoredMessage {
  gseq: number;
  conv: ConversationId;
  seq: number;
  recipient: string;
  bodyHash: Buffer;
  ts: number;
  deliveredAt: number | null;
  replySeq: number | null;
  replyFrom: string | null;
  replyId: string | null;
  replyExcerpt: string | null;
}

/**
 * What a `msg:R` whose `(sender, id)` is already stored as `existing` gets:
 * the original placement when it is the same message (a retransmission), a
 * conflict when its recipient, body or reply differ. Every store uses this.
 */
export function storedBefore(existing: StoredMessage, msg: MsgR, bodyHash: Buffer): StoreResult {
  if (
    existing.recipient !== msg.to ||
    !existing.bodyHash.equals(bodyHash) ||
    existing.replyFrom !== (msg.reply?.from ?? null) ||
    existing.replyId !== (msg.reply?.id ?? null)
  ) {
    return { kind: 'conflict' };
  }
  const reply = replyOf(existing);
  return {
    kind: 'duplicate',
    ts: existing.ts,
    conv: existing.conv,
    seq: existing.seq,
    gseq: existing.gseq,
    delivered: existing.deliveredAt !== null,
    ...(reply ? { reply } : {}),
  };
}

/**
 * The im-server's durable state in SQLite (WAL, synchronous=FULL). All
 * statements are prepared once. Methods are synchronous; callers that write
 * go through a {@link GroupCommit} so one transaction covers a whole tick.
 */
export class Store {
  readonly db: Database.Database;
  private readonly stmts;
  private readonly lock: DataDirLock;
  private readonly secondary: boolean = false;

  /**
   * Opens the store in `dataDir` (docs/DEPLOY.md): a private directory,
   * locked against a second server until {@link close}, whose database passes
   * `PRAGMA quick_check`. Throws a one-line error otherwise, with nothing held.
   */
  constructor(dataDir: string, options: { secondary?: boolean } = {}) {
    if (options.secondary) {
      // A second connection to a database the primary one already opened,
      // checked and migrated (the store writer's worker): no lock of its own.
      this.secondary = true;
      this.lock = { dir: dataDir, release: () => undefined };
      this.db = openConnection(path.join(dataDir, DATABASE_FILE));
    } else {
      this.lock = lockDataDir(prepareDataDir(dataDir));
      try {
        this.db = openDatabase(path.join(this.lock.dir, DATABASE_FILE));
      } catch (error) {
        this.lock.release();
        throw error;
      }
    }
    const db = this.db;
    /**
     * The gseqs of what a device has not confirmed of its stream after
     * `:after`, at most `:limit`. A device's stream: wire-v1 devices get what
     * is addressed to the person; protocol-2 devices also the group messages
     * of their membership periods and the person's own messages from other
     * devices. Each part walks an index of its own — messages to the
     * person (`messages_recipient`), the person's own (`messages_sender`),
     * those of their groups' periods (`messages_recipient` per group) — so
     * a device far behind on a busy server costs what its own stream holds,
     * not a scan of everything stored since its cursor.
     */
    const unconfirmedGseqs = (mirror: boolean) => {
      const open = `m.body IS NOT NULL AND m.gseq > :after
        AND NOT EXISTS (SELECT 1 FROM device_acks a WHERE a.device_id = :device AND a.gseq = m.gseq)`;
      const notWrittenHere = `NOT (m.sender_device IS :device AND m.recipient != :user AND m.kind = 'text')`;
      const parts = [
        `SELECT m.gseq FROM messages m WHERE m.recipient = :user AND ${open} ORDER BY m.gseq LIMIT :limit`,
      ];
      if (mirror) {
        parts.push(
          `SELECT m.gseq FROM messages m WHERE m.sender = :user AND ${notWrittenHere} AND ${open}
           ORDER BY m.gseq LIMIT :limit`,
          // CROSS JOIN: the person's periods drive, each group's messages found by index.
          `SELECT m.gseq FROM periods p CROSS JOIN messages m ON m.recipient = p.conv
             AND ${periodCovers('p', 'm.seq')}
           WHERE p.user_id = :user AND ${notWrittenHere} AND ${open} ORDER BY m.gseq LIMIT :limit`,
        );
      }
      return parts.map((part) => `SELECT gseq FROM (${part})`).join(' UNION ');
    };
    const streamPart = (mirror: boolean) =>
      db.prepare(
        `SELECT ${LOG_COLUMNS} FROM messages m WHERE m.gseq IN (${unconfirmedGseqs(mirror)})
         ORDER BY m.gseq LIMIT :limit`,
      );
    const firstUnconfirmed = (mirror: boolean) =>
      db.prepare(`SELECT min(gseq) FROM (${unconfirmedGseqs(mirror)})`).pluck();
    this.stmts = {
      insertUser: db.prepare(
        `INSERT INTO users (id, username, display_name, password_hash, created_at, is_admin)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      userByName: db.prepare(
        `SELECT ${USER_COLUMNS}, password_hash AS passwordHash FROM users WHERE username = ?`,
      ),
      userById: db.prepare(
        `SELECT ${USER_COLUMNS}, password_hash AS passwordHash FROM users WHERE id = ?`,
      ),
      allUsers: db.prepare(
        `SELECT ${USER_COLUMNS}, created_at AS createdAt FROM users ORDER BY username`,
      ),
      userCount: db.prepare('SELECT count(*) FROM users').pluck(),
      adminCount: db
        .prepare('SELECT count(*) FROM users WHERE is_admin = 1 AND disabled = 0')
        .pluck(),
      setPasswordHash: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      setAdmin: db.prepare('UPDATE users SET is_admin = ? WHERE id = ?'),
      setDisabled: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
      insertDevice: db.prepare(
        `INSERT INTO devices (id, user_id, token_hash, name, created_at, last_seen_at, expires_at, created_gseq, cursor)
         SELECT :id, :user, :tokenHash, :name, :now, :now, :expiresAt, g.top, g.top
         FROM (SELECT coalesce(max(gseq), 0) AS top FROM messages) g`,
      ),
      slideSession: db.prepare(
        'UPDATE devices SET last_seen_at = max(last_seen_at, ?), expires_at = ? WHERE id = ?',
      ),
      deleteDevicesOf: db
        .prepare('DELETE FROM devices WHERE user_id = ? AND id IS NOT ? RETURNING id')
        .pluck(),
      deviceByToken: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE token_hash = ?`),
      device: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`),
      devicesOf: db.prepare(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? ORDER BY created_at`,
      ),
      deleteDevice: db.prepare('DELETE FROM devices WHERE id = ? AND user_id = ?'),
      deleteDeviceByToken: db.prepare('DELETE FROM devices WHERE token_hash = ? RETURNING id'),
      renameDevice: db.prepare('UPDATE devices SET name = ? WHERE id = ? AND user_id = ?'),
      touchDevice: db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?'),
      setCursor: db.prepare('UPDATE devices SET cursor = ? WHERE id = ? AND cursor < ?'),
      dropAcksUpTo: db.prepare('DELETE FROM device_acks WHERE device_id = ? AND gseq <= ?'),
      insertAck: db.prepare('INSERT OR IGNORE INTO device_acks (device_id, gseq) VALUES (?, ?)'),
      topGseq: db.prepare('SELECT coalesce(max(gseq), 0) FROM messages').pluck(),
      nextSeq: db
        .prepare(
          `INSERT INTO conversations (conv, kind, last_seq, created_at) VALUES (?, 'direct', 1, ?)
           ON CONFLICT (conv) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`,
        )
        .pluck(),
      insertMember: db.prepare('INSERT OR IGNORE INTO members (conv, user_id) VALUES (?, ?)'),
      nextGroupSeq: db
        .prepare(
          "UPDATE conversations SET last_seq = last_seq + 1 WHERE conv = ? AND kind = 'group' RETURNING last_seq",
        )
        .pluck(),
      currentMembers: db
        .prepare(
          'SELECT user_id FROM members WHERE conv = ? AND left_seq IS NULL ORDER BY joined_seq, user_id',
        )
        .pluck(),
      isCurrentMember: db
        .prepare('SELECT 1 FROM members WHERE conv = ? AND user_id = ? AND left_seq IS NULL')
        .pluck(),
      inPeriod: db.prepare(`SELECT ${sawInGroup(':conv', ':user', ':seq')}`).pluck(),
      insertMessage: db.prepare(
        `INSERT INTO messages (conv, seq, sender, sender_device, id, recipient, body, body_hash, ts, kind, recipients,
                               reply_seq, reply_sender, reply_id, reply_excerpt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      holds: db.prepare('SELECT 1 FROM messages WHERE sender = ? AND id = ? AND conv = ?').pluck(),
      replyTarget: db.prepare(
        'SELECT conv, seq, body, kind FROM messages WHERE sender = ? AND id = ?',
      ),
      insertDelivery: db.prepare(
        'INSERT OR IGNORE INTO deliveries (conv, seq, user_id, at) VALUES (?, ?, ?, ?)',
      ),
      // `shared`: the reader's read receipts were on when they read this far.
      insertRead: db.prepare(
        `INSERT OR IGNORE INTO reads (conv, user_id, seq, at, shared)
         SELECT ?, ?, ?, ?, read_receipts FROM users WHERE id = ?`,
      ),
      messageById: db.prepare(
        `SELECT gseq, conv, seq, recipient, body_hash AS bodyHash, ts, delivered_at AS deliveredAt,
                reply_seq AS replySeq, reply_sender AS replyFrom, reply_id AS replyId,
                reply_excerpt AS replyExcerpt
         FROM messages WHERE sender = ? AND id = ?`,
      ),
      confirmable: db.prepare(
        `SELECT gseq, conv, seq, sender, recipient, ts, delivered_at AS deliveredAt, kind FROM messages
         WHERE sender = ? AND id = ?`,
      ),
      setDelivered: db.prepare(
        'UPDATE messages SET delivered_at = ? WHERE gseq = ? AND delivered_at IS NULL',
      ),
      undeliveredPart: db.prepare(
        `SELECT ${LOG_COLUMNS} FROM messages m
         WHERE m.recipient = :user AND m.delivered_at IS NULL AND m.gseq > :after AND m.gseq <= :created
           AND m.body IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM device_acks a WHERE a.device_id = :device AND a.gseq = m.gseq)
         ORDER BY m.gseq LIMIT :limit`,
      ),
      streamMirror: streamPart(true),
      streamDirect: streamPart(false),
      firstUnconfirmedMirror: firstUnconfirmed(true),
      firstUnconfirmedDirect: firstUnconfirmed(false),
      historyPage: db.prepare(
        `SELECT ${LOG_COLUMNS} FROM messages m WHERE m.conv = :conv AND m.seq < :before
           AND (m.conv LIKE 'd:%' OR ${IN_PERIOD})
         ORDER BY m.seq DESC LIMIT :limit`,
      ),
      isMember: db.prepare('SELECT 1 FROM members WHERE conv = ? AND user_id = ?').pluck(),
      conversationsOf: db.prepare(
        `SELECT c.conv, c.kind, ${NAME_SEEN} AS name, mb.left_seq IS NOT NULL AS hasLeft,
                coalesce(mb.left_seq, c.last_seq) AS lastSeq, mb.read_seq AS readSeq,
                coalesce((SELECT ts FROM messages m WHERE m.conv = c.conv
                           AND m.seq <= coalesce(mb.left_seq, c.last_seq)
                          ORDER BY m.seq DESC LIMIT 1), c.created_at) AS lastTs,
                (SELECT count(*) FROM messages m
                  WHERE m.conv = c.conv AND m.seq > mb.read_seq AND m.sender != mb.user_id
                    AND m.kind = 'text' AND ${MEMBER_SAW}) AS unread
         FROM members mb JOIN conversations c ON c.conv = mb.conv
         WHERE mb.user_id = ?`,
      ),
      readState: db.prepare(
        `SELECT mb.read_seq AS readSeq, coalesce(mb.left_seq, c.last_seq) AS through,
                (SELECT count(*) FROM messages m
                  WHERE m.conv = c.conv AND m.seq > mb.read_seq AND m.sender != mb.user_id
                    AND m.kind = 'text' AND ${MEMBER_SAW}) AS unread
         FROM members mb JOIN conversations c ON c.conv = mb.conv
         WHERE mb.conv = ? AND mb.user_id = ?`,
      ),
      // No further than the last entry the person could see: a former member's
      // position stops at the entry that ended their membership.
      advanceRead: db.prepare(
        `UPDATE members SET read_seq = min(?, coalesce(left_seq,
           (SELECT last_seq FROM conversations c WHERE c.conv = members.conv)))
         WHERE conv = ? AND user_id = ? AND read_seq < ? RETURNING read_seq`,
      ),
      readSeqOf: db.prepare('SELECT read_seq FROM members WHERE conv = ? AND user_id = ?').pluck(),
      receiptsOn: db.prepare('SELECT read_receipts FROM users WHERE id = ?').pluck(),
      setReceipts: db.prepare('UPDATE users SET read_receipts = ? WHERE id = ?'),
      setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE id = ?'),
      oldest: db.prepare('SELECT gseq, ts FROM messages ORDER BY gseq LIMIT ?'),
      deleteMessage: db.prepare('DELETE FROM messages WHERE gseq = ?'),
      counts: db.prepare(
        `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM messages) AS messages,
                (SELECT count(*) FROM messages WHERE delivered_at IS NULL) AS undelivered,
                (SELECT count(*) FROM devices) AS devices`,
      ),
    };
  }

  /** The data directory, absolute. */
  get dir(): string {
    return this.lock.dir;
  }

  // ---- users ------------------------------------------------------------

  /** Adds a user; throws `SQLITE_CONSTRAINT_UNIQUE` when the name is taken. */
  insertUser(
    user: Omit<UserRecord, 'disabled' | 'isAdmin'> & { isAdmin?: boolean },
    now: number,
  ): void {
    this.stmts.insertUser.run(
      user.id,
      user.username,
      user.displayName,
      user.passwordHash,
      now,
      user.isAdmin ? 1 : 0,
    );
  }

  /** Looks a user up by lower-case username. */
  userByName(username: string): UserRecord | undefined {
    const row = this.stmts.userByName.get(username) as UserRecord | undefined;
    return row && userFlags(row);
  }

  /** Looks a user up by id. */
  userById(userId: string): UserRecord | undefined {
    const row = this.stmts.userById.get(userId) as UserRecord | undefined;
    return row && userFlags(row);
  }

  /** Every user, ordered by username. */
  allUsers(): UserSummary[] {
    return (this.stmts.allUsers.all() as UserSummary[]).map(userFlags);
  }

  /** How many accounts exist. */
  userCount(): number {
    return this.stmts.userCount.get() as number;
  }

  /** How many accounts are admins and not disabled. */
  adminCount(): number {
    return this.stmts.adminCount.get() as number;
  }

  /** Replaces a user's password hash. */
  setPasswordHash(userId: string, passwordHash: string): void {
    this.stmts.setPasswordHash.run(passwordHash, userId);
  }

  /** Makes a user an admin, or not. */
  setAdmin(userId: string, admin: boolean): void {
    this.stmts.setAdmin.run(admin ? 1 : 0, userId);
  }

  /** Disables or enables a user's account. */
  setDisabled(userId: string, disabled: boolean): void {
    this.stmts.setDisabled.run(disabled ? 1 : 0, userId);
  }

  // ---- devices ------------------------------------------------------------

  /**
   * Records a new device (a sign-in) by the hash of its session token, valid
   * until `expiresAt` (default: the default session lifetime from `now`).
   */
  insertDevice(
    device: { deviceId: string; userId: string; name: string },
    tokenHash: Buffer,
    now: number,
    expiresAt = now + DEFAULT_SESSION_TTL_MS,
  ): void {
    this.stmts.insertDevice.run({
      id: device.deviceId,
      user: device.userId,
      tokenHash,
      name: device.name,
      now,
      expiresAt,
    });
  }

  /** The session of a device was used at `now`: it now ends at `expiresAt`. */
  slideSession(deviceId: string, now: number, expiresAt: number): void {
    this.stmts.slideSession.run(now, expiresAt, deviceId);
  }

  /** Signs out every device of `userId` except `keep`; returns the ids signed out. */
  deleteDevicesOf(userId: string, keep?: string): string[] {
    return this.stmts.deleteDevicesOf.all(userId, keep ?? null) as string[];
  }

  /** The device a session token hash belongs to. */
  deviceByToken(tokenHash: Buffer): DeviceRecord | undefined {
    return this.stmts.deviceByToken.get(tokenHash) as DeviceRecord | undefined;
  }

  /** One device by id. */
  device(deviceId: string): DeviceRecord | undefined {
    return this.stmts.device.get(deviceId) as DeviceRecord | undefined;
  }

  /** Every device of `userId`, oldest first. */
  devicesOf(userId: string): DeviceRecord[] {
    return this.stmts.devicesOf.all(userId) as DeviceRecord[];
  }

  /** Signs a device of `userId` out (its session ends); false when there is no such device. */
  deleteDevice(deviceId: string, userId: string): boolean {
    return this.stmts.deleteDevice.run(deviceId, userId).changes === 1;
  }

  /** Ends the session of a token hash; returns its device id. */
  deleteDeviceByToken(tokenHash: Buffer): string | undefined {
    const row = this.stmts.deleteDeviceByToken.get(tokenHash) as { id: string } | undefined;
    return row?.id;
  }

  /** Renames a device of `userId`; false when there is no such device. */
  renameDevice(deviceId: string, userId: string, name: string): boolean {
    return this.stmts.renameDevice.run(name, deviceId, userId).changes === 1;
  }

  /** Records that a device was seen now. */
  touchDevice(deviceId: string, now: number): void {
    this.stmts.touchDevice.run(now, deviceId);
  }

  // ---- the log ------------------------------------------------------------

  /**
   * Stores a message once per `(sender, id)`, as the next `seq` of its
   * conversation. A retransmission of the same message reports the original
   * placement; a different `to` or body under the same id is a conflict.
   * Must run inside a transaction (the group commit), so that a failure
   * rolls the `seq` back too and the log has no gaps.
   */
  storeMessage(sender: string, senderDevice: string, msg: MsgR, now: number): StoreResult {
    const bodyHash = hashBody(msg.body);
    const existing = this.stmts.messageById.get(sender, msg.id) as StoredMessage | undefined;
    if (existing) return storedBefore(existing, msg, bodyHash);
    const group = isGroupId(msg.to);
    const conv = group ? (msg.to as ConversationId) : directConversationId(sender, msg.to);
    if (group && this.stmts.isCurrentMember.get(conv, sender) === undefined) {
      return { kind: 'not_member' };
    }
    // The sender's earlier message must be in the log first (the order written).
    if (msg.after !== undefined && this.stmts.holds.get(sender, msg.after, conv) === undefined) {
      return { kind: 'out_of_order' };
    }
    const reply = msg.reply ? this.replyTarget(conv, sender, msg.reply) : null;
    if (reply === undefined) return { kind: 'bad_reply' };
    let seq: number;
    let recipients: string[];
    if (group) {
      seq = this.stmts.nextGroupSeq.get(conv) as number;
      recipients = (this.stmts.currentMembers.all(conv) as string[]).filter((u) => u !== sender);
    } else {
      seq = this.stmts.nextSeq.get(conv, now) as number;
      recipients = [msg.to];
      if (seq === 1) {
        this.stmts.insertMember.run(conv, sender);
        this.stmts.insertMember.run(conv, msg.to);
      }
    }
    const info = this.stmts.insertMessage.run(
      conv,
      seq,
      sender,
      senderDevice,
      msg.id,
      group ? conv : msg.to,
      msg.body,
      bodyHash,
      now,
      'text',
      recipients.length,
      reply?.seq ?? null,
      reply?.from ?? null,
      reply?.id ?? null,
      reply?.excerpt ?? null,
    );
    return {
      kind: 'stored',
      ts: now,
      conv,
      seq,
      gseq: Number(info.lastInsertRowid),
      recipients,
      ...(reply ? { reply } : {}),
    };
  }

  /**
   * The message `ref` names, as a reply in `conv` by `sender` quotes it:
   * undefined unless it is a text message of `conv` that `sender` could see.
   */
  private replyTarget(
    conv: ConversationId,
    sender: string,
    ref: { from: string; id: string },
  ): ReplyQuote | undefined {
    const row = this.stmts.replyTarget.get(ref.from, ref.id) as QuotedRow | undefined;
    return quoteOf(conv, ref, row, (seq) => this.sawSeq(conv, sender, seq));
  }

  /**
   * Appends a system entry (a membership change) to a group's log, as the
   * next `seq`; `actor` is its author. Must run inside a transaction.
   */
  appendSystem(
    conv: ConversationId,
    actor: string,
    actorDevice: string,
    body: string,
    now: number,
  ): Placement & { id: string } {
    const seq = this.stmts.nextGroupSeq.get(conv) as number;
    const id = `sys-${randomUUID()}`;
    const info = this.stmts.insertMessage.run(
      conv,
      seq,
      actor,
      actorDevice,
      id,
      conv,
      body,
      hashBody(body),
      now,
      'system',
      0,
      null,
      null,
      null,
      null,
    );
    return { id, ts: now, conv, seq, gseq: Number(info.lastInsertRowid) };
  }

  /** The current members of a group, earliest first. */
  currentMembers(conv: ConversationId): string[] {
    return this.stmts.currentMembers.all(conv) as string[];
  }

  /** True when `userId` is a member of group `conv` now. */
  isCurrentMember(conv: ConversationId, userId: string): boolean {
    return this.stmts.isCurrentMember.get(conv, userId) !== undefined;
  }

  /** True when `userId` could see entry `seq` of group `conv` (a membership period covers it). */
  sawSeq(conv: ConversationId, userId: string, seq: number): boolean {
    return this.stmts.inPeriod.get({ conv, user: userId, seq }) === 1;
  }

  /**
   * Device `scope.deviceId` confirms message `(sender, id)`. The recipient's
   * devices may confirm; with `scope.mirror`, so may the sender's own other
   * devices. The first confirmation by a device of the recipient makes the
   * message delivered. Undefined when the message does not exist or the
   * device may not confirm it.
   */
  confirm(
    scope: StreamScope,
    sender: string,
    id: string,
    now: number,
  ): (Confirmation & { first: boolean }) | undefined {
    const found = this.confirmable(scope, sender, id);
    return found && { ...found, first: this.record(scope, found, now) };
  }

  /** Writes a confirmation {@link confirmable} found (the message cannot have changed since). */
  record(scope: StreamScope, found: FoundConfirmation, now: number): boolean {
    this.stmts.insertAck.run(scope.deviceId, found.gseq);
    if (!found.byRecipient) return false;
    if (found.group) {
      return this.stmts.insertDelivery.run(found.conv, found.seq, scope.userId, now).changes === 1;
    }
    if (found.deliveredAt !== null) return false;
    return this.stmts.setDelivered.run(now, found.gseq).changes === 1;
  }

  /**
   * Checks `(sender, id)` for confirmation without writing: the same answer
   * {@link confirm} would give.
   */
  confirmable(scope: StreamScope, sender: string, id: string): FoundConfirmation | undefined {
    const row = this.stmts.confirmable.get(sender, id) as
      | {
          gseq: number;
          conv: ConversationId;
          seq: number;
          sender: string;
          recipient: string;
          ts: number;
          deliveredAt: number | null;
          kind: 'text' | 'system';
        }
      | undefined;
    if (!row) return undefined;
    const group = isGroupId(row.conv);
    const own = row.sender === scope.userId;
    const byRecipient = group
      ? scope.mirror && !own && this.sawSeq(row.conv, scope.userId, row.seq)
      : row.recipient === scope.userId;
    const allowed =
      byRecipient ||
      (scope.mirror && (own || (group && this.sawSeq(row.conv, scope.userId, row.seq))));
    if (!allowed) return undefined;
    return { ...row, id, byRecipient: byRecipient && row.kind === 'text', group };
  }

  /**
   * Moves a device's cursor over every message of its stream it has
   * confirmed, and forgets the confirmations below it. Returns the cursor.
   */
  compact(scope: StreamScope): number {
    const device = this.device(scope.deviceId);
    if (!device) return 0;
    const params = { after: device.cursor, user: scope.userId, device: scope.deviceId, limit: 1 };
    const first = (
      scope.mirror ? this.stmts.firstUnconfirmedMirror : this.stmts.firstUnconfirmedDirect
    ).get(params) as number | null | undefined;
    const cursor = first == null ? (this.stmts.topGseq.get() as number) : first - 1;
    if (cursor > device.cursor) {
      this.stmts.setCursor.run(cursor, scope.deviceId, cursor);
      this.stmts.dropAcksUpTo.run(scope.deviceId, cursor);
      return cursor;
    }
    return device.cursor;
  }

  /**
   * One catch-up page of a device, after log position `after`: first the
   * messages stored before it signed in that no device of the person has
   * confirmed yet, then every message of its stream after its cursor that it
   * has not confirmed. At most `limit` rows and about `maxBytes` of them
   * (always at least one row).
   */
  streamPage(scope: StreamScope, after: number, limit: number, maxBytes: number): StreamPage {
    const device = this.device(scope.deviceId);
    if (!device) return { rows: [], lastGseq: after, more: false };
    const rows: LogRow[] = [];
    const want = limit + 1;
    if (after < device.createdGseq) {
      rows.push(
        ...(this.stmts.undeliveredPart.all({
          user: scope.userId,
          device: scope.deviceId,
          after,
          created: device.createdGseq,
          limit: want,
        }) as LogRow[]),
      );
    }
    if (rows.length < want) {
      const stmt = scope.mirror ? this.stmts.streamMirror : this.stmts.streamDirect;
      rows.push(
        ...(stmt.all({
          after: Math.max(after, device.cursor),
          user: scope.userId,
          device: scope.deviceId,
          limit: want - rows.length,
        }) as LogRow[]),
      );
    }
    const more = cutPage(rows, limit, maxBytes);
    return { rows, lastGseq: rows.length > 0 ? rows[rows.length - 1]!.gseq : after, more };
  }

  /** True when `userId` belongs to conversation `conv`. */
  isMember(conv: ConversationId, userId: string): boolean {
    return this.stmts.isMember.get(conv, userId) !== undefined;
  }

  /**
   * The entries of `conv` just before `before` (default: the newest), oldest
   * first, at most `limit` and about `maxBytes`; `more` when older ones exist.
   * Of a group, only what `viewer`'s membership periods cover.
   */
  history(
    conv: ConversationId,
    viewer: string,
    before: number | undefined,
    limit: number,
    maxBytes: number,
  ): { rows: LogRow[]; more: boolean } {
    const newestFirst = this.stmts.historyPage.all({
      conv,
      before: before ?? Number.MAX_SAFE_INTEGER,
      limit: limit + 1,
      user: viewer,
    }) as LogRow[];
    const more = cutPage(newestFirst, limit, maxBytes);
    return { rows: newestFirst.reverse(), more };
  }

  /** Every conversation of `userId`, with read position and unread count. */
  conversationsOf(userId: string): ConversationSummary[] {
    const rows = this.stmts.conversationsOf.all(userId) as {
      conv: ConversationId;
      kind: string;
      name: string | null;
      hasLeft: number;
      lastSeq: number;
      readSeq: number;
      unread: number;
      lastTs: number;
    }[];
    return rows.flatMap((r): ConversationSummary[] => {
      const common = {
        conv: r.conv,
        lastSeq: r.lastSeq,
        readSeq: r.readSeq,
        unread: r.unread,
        through: r.lastSeq,
        lastTs: r.lastTs,
      };
      if (r.kind === 'group') {
        return [{ ...common, kind: 'group', name: r.name ?? '', left: r.hasLeft === 1 }];
      }
      const peer = directPeer(r.conv, userId);
      return peer === undefined ? [] : [{ ...common, kind: 'direct', peer }];
    });
  }

  /** `userId`'s read position in `conv`, or undefined when not a member. */
  readState(conv: ConversationId, userId: string): ReadState | undefined {
    const row = this.stmts.readState.get(conv, userId) as Omit<ReadState, 'conv'> | undefined;
    return row && { conv, ...row };
  }

  /**
   * Moves `userId`'s read position in `conv` forward to `seq` (at most the
   * last entry they could see), remembering when and whether their read
   * receipts were on (`shared`: only then may senders learn of it, now or
   * later); returns the state, the position before and `shared`.
   */
  markRead(
    conv: ConversationId,
    userId: string,
    seq: number,
    now: number,
  ): (ReadState & { previous: number; shared: boolean }) | undefined {
    const previous = this.stmts.readSeqOf.get(conv, userId) as number | undefined;
    if (previous === undefined) return undefined;
    const moved = this.stmts.advanceRead.get(seq, conv, userId, seq) as
      { read_seq: number } | undefined;
    if (moved) this.stmts.insertRead.run(conv, userId, moved.read_seq, now, userId);
    const state = this.readState(conv, userId);
    return state && { ...state, previous, shared: this.prefs(userId).readReceipts };
  }

  /** The person's preferences. */
  prefs(userId: string): { readReceipts: boolean } {
    return { readReceipts: this.stmts.receiptsOn.get(userId) !== 0 };
  }

  /** Turns the person's read receipts on or off. */
  setReadReceipts(userId: string, on: boolean): void {
    this.stmts.setReceipts.run(on ? 1 : 0, userId);
  }

  /** Changes the person's display name. */
  setDisplayName(userId: string, displayName: string): void {
    this.stmts.setDisplayName.run(displayName, userId);
  }

  /**
   * Deletes up to `batch` of the oldest messages stored before `cutoffTs`,
   * walking the log in store order and stopping at the first younger one.
   * Returns how many were deleted and whether the batch was full.
   */
  deleteExpired(cutoffTs: number, batch: number): { deleted: number; more: boolean } {
    const rows = this.stmts.oldest.all(batch) as { gseq: number; ts: number }[];
    let deleted = 0;
    for (const r of rows) {
      if (r.ts >= cutoffTs) return { deleted, more: false };
      this.stmts.deleteMessage.run(r.gseq);
      deleted++;
    }
    return { deleted, more: rows.length === batch };
  }

  /** Row counts, for tests and diagnostics. */
  counts(): { users: number; messages: number; undelivered: number; devices: number } {
    return this.stmts.counts.get() as {
      users: number;
      messages: number;
      undelivered: number;
      devices: number;
    };
  }

  /** Checkpoints the WAL, closes the database and releases the data directory. */
  close(): void {
    if (!this.db.open) return;
    if (this.secondary) {
      this.db.close();
      return;
    }
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
      this.lock.release();
    }
  }
}

/**
 * Opens the database `file` (created empty with mode 0600 when absent) after
 * `quick_check` passed, in WAL mode with synchronous=FULL, and migrates it.
 */
function openDatabase(file: string): Database.Database {
  privateFile(file);
  checkDatabase(file);
  const db = openConnection(file);
  try {
    // SQLite gives them the database's mode; older versions left them 0644.
    privateIfPresent(`${file}-wal`);
    privateIfPresent(`${file}-shm`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * One connection to `file`: WAL, synchronous=FULL, foreign keys, and a busy
 * timeout (the store writer's worker and the main thread's rare account
 * writes take turns). `TICKLINE_SQLITE_BINDING` names another build of
 * better-sqlite3's native module (the desktop app's Electron build, which a
 * worker thread cannot pick up from the main thread's module cache).
 */
function openConnection(file: string): Database.Database {
  const nativeBinding = process.env.TICKLINE_SQLITE_BINDING;
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Applies every migration the database has not seen, each in its own transaction. */
export function migrate(db: Database.Database): void {
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
