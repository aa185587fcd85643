import type Database from 'better-sqlite3';
import {
  isGroupId,
  RECEIPT_WINDOW_MS,
  type ConversationId,
  type OutState,
  type ReceiptCounts,
  type ReceiptN,
} from '../protocol';
import { periodCovers } from './periods';

/** A message as receipts need it. */
export interface ReceiptRow {
  conv: ConversationId;
  seq: number;
  sender: string;
  id: string;
  recipient: string;
  recipients: number;
  deliveredAt: number | null;
  kind: 'text' | 'system';
}

/** Where a message stands for its sender, and its counts. */
export interface Receipt {
  state: Exclude<OutState, never>;
  receipt: ReceiptCounts;
}

/** One recipient of a message, for `info:R`. */
export interface RecipientInfo {
  userId: string;
  deliveredAt?: number;
  readAt?: number;
  /** Whether they read it is not shown: their read receipts were (or are) off. */
  receiptsOff?: true;
}

/** What `info:R` answers about one message. */
export interface MessageInfo {
  recipients: RecipientInfo[];
  /** The sender's own read receipts are off: no read is shown to them. */
  readsHidden?: true;
}

const ROW =
  'conv, seq, sender, id, recipient, recipients, delivered_at AS deliveredAt, kind FROM messages';

/**
 * SQL: `column` of the move of `user`'s read position in `conv` that first
 * covered the entry at `seq` (null while they have not read that far). Read
 * positions only move forward, so that move tells when they read it and
 * whether they shared it (their read receipts were on then).
 */
function coveringRead(conv: string, user: string, seq: string, column: 'shared' | 'at'): string {
  return `(SELECT r.${column} FROM reads r WHERE r.conv = ${conv} AND r.user_id = ${user}
    AND r.seq >= ${seq} ORDER BY r.seq LIMIT 1)`;
}

/**
 * SQL: `user` read the entry at `seq` of `conv` and may be seen to have: the
 * one rule for every read count, tick and message info. A read made with
 * read receipts off is never shown, also after they are turned on again.
 */
function readShown(conv: string, user: string, seq: string): string {
  return `coalesce(${coveringRead(conv, user, seq, 'shared')}, 0) = 1`;
}

/**
 * Delivery and read receipts. Group deliveries are one row per member and
 * message (`deliveries`); reading is a position per member and conversation
 * (`members.read_seq`, its moves in `reads`), so a read costs one write
 * however many messages it covers. Changes for a sender are gathered for
 * {@link RECEIPT_WINDOW_MS} and pushed as one `receipt:N` per conversation.
 * A person with read receipts off neither counts as having read, nor sees
 * others' reads; what they read while off stays unshown for ever (each move
 * of a read position records whether it was shared, {@link readShown}).
 */
export class Receipts {
  private readonly stmts;
  private pending = new Map<string, Map<string, { conv: ConversationId; seq: number }>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    db: Database.Database,
    private readonly online: (userId: string) => boolean,
    private readonly push: (sender: string, packet: ReceiptN) => void,
  ) {
    this.stmts = {
      bySeq: db.prepare(`SELECT ${ROW} WHERE conv = ? AND seq = ?`),
      byId: db.prepare(`SELECT ${ROW} WHERE sender = ? AND id = ?`),
      receiptsOn: db.prepare('SELECT read_receipts FROM users WHERE id = ?').pluck(),
      groupDelivered: db
        .prepare('SELECT count(*) FROM deliveries WHERE conv = ? AND seq = ?')
        .pluck(),
      groupRead: db
        .prepare(
          `SELECT count(*) FROM periods p
           WHERE p.conv = :conv AND p.user_id != :sender AND ${periodCovers('p', ':seq')}
             AND ${readShown('p.conv', 'p.user_id', ':seq')}`,
        )
        .pluck(),
      readShown: db.prepare(`SELECT ${readShown(':conv', ':user', ':seq')}`).pluck(),
      recipients: db.prepare(
        `SELECT p.user_id AS userId, d.at AS deliveredAt, u.read_receipts AS receiptsOn,
                ${coveringRead('p.conv', 'p.user_id', ':seq', 'shared')} AS shared,
                ${coveringRead('p.conv', 'p.user_id', ':seq', 'at')} AS readAt
         FROM periods p
         JOIN users u ON u.id = p.user_id
         LEFT JOIN deliveries d ON d.conv = p.conv AND d.seq = :seq AND d.user_id = p.user_id
         WHERE p.conv = :conv AND p.user_id != :sender AND ${periodCovers('p', ':seq')}`,
      ),
      directRecipient: db.prepare(
        `SELECT u.id AS userId, :deliveredAt AS deliveredAt, u.read_receipts AS receiptsOn,
                ${coveringRead(':conv', 'u.id', ':seq', 'shared')} AS shared,
                ${coveringRead(':conv', 'u.id', ':seq', 'at')} AS readAt
         FROM users u WHERE u.id = :user`,
      ),
      othersIn: db.prepare(
        `SELECT DISTINCT sender, seq FROM messages
           WHERE conv = ? AND seq > ? AND seq <= ? AND sender != ? AND kind = 'text'`,
      ),
      currentMembers: db
        .prepare('SELECT user_id FROM members WHERE conv = ? AND left_seq IS NULL')
        .pluck(),
    };
  }

  /** Where `row` (a message of its sender) stands now. */
  compute(row: ReceiptRow): Receipt {
    const senderSees = this.receiptsOn(row.sender);
    let recipients: number;
    let delivered: number;
    let read: number;
    let reachable: () => boolean;
    if (isGroupId(row.conv)) {
      recipients = row.recipients;
      delivered = this.stmts.groupDelivered.get(row.conv, row.seq) as number;
      read = senderSees
        ? (this.stmts.groupRead.get({ conv: row.conv, sender: row.sender, seq: row.seq }) as number)
        : 0;
      reachable = () =>
        (this.stmts.currentMembers.all(row.conv) as string[]).some(
          (u) => u !== row.sender && this.online(u),
        );
    } else {
      recipients = 1;
      delivered = row.deliveredAt === null ? 0 : 1;
      read =
        senderSees &&
        row.recipient !== row.sender &&
        this.stmts.readShown.get({ conv: row.conv, user: row.recipient, seq: row.seq }) === 1
          ? 1
          : 0;
      reachable = () => this.online(row.recipient);
    }
    const state: OutState =
      recipients > 0 && read >= recipients
        ? 'read'
        : delivered >= recipients
          ? 'delivered'
          : delivered > 0 || reachable()
            ? 'sent'
            : 'stored';
    return { state, receipt: { recipients, delivered, read } };
  }

  /** Where `sender`'s message `id` stands; undefined when there is no such message of theirs. */
  ofMessage(sender: string, id: string): Receipt | undefined {
    const row = this.stmts.byId.get(sender, id) as ReceiptRow | undefined;
    return row && row.kind === 'text' ? this.compute(row) : undefined;
  }

  /**
   * The recipients of `sender`'s message `id` in `conv`, with when it reached
   * each and when each read it — only where the read may be shown. A read
   * that may not be shown is `receiptsOff` (read with receipts off, or not
   * read by someone whose receipts are off: saying "not read" could be false),
   * and when the sender's own receipts are off no read is shown at all
   * (`readsHidden`). Undefined when `conv` holds no such message of theirs.
   */
  info(sender: string, conv: ConversationId, id: string): MessageInfo | undefined {
    const row = this.stmts.byId.get(sender, id) as ReceiptRow | undefined;
    if (!row || row.kind !== 'text' || row.conv !== conv) return undefined;
    const rows = (
      isGroupId(row.conv)
        ? this.stmts.recipients.all({ conv: row.conv, seq: row.seq, sender: row.sender })
        : this.stmts.directRecipient.all({
            conv: row.conv,
            seq: row.seq,
            user: row.recipient,
            deliveredAt: row.deliveredAt,
          })
    ) as {
      userId: string;
      deliveredAt: number | null;
      receiptsOn: number;
      shared: number | null;
      readAt: number | null;
    }[];
    const senderSees = this.receiptsOn(row.sender);
    const recipients = rows.map((r): RecipientInfo => {
      const info: RecipientInfo = { userId: r.userId };
      if (r.deliveredAt !== null) info.deliveredAt = r.deliveredAt;
      if (!senderSees) return info;
      if (r.shared === 1 && r.readAt !== null) info.readAt = r.readAt;
      else if (r.shared === 0 || r.receiptsOn === 0) info.receiptsOff = true;
      return info;
    });
    return senderSees ? { recipients } : { recipients, readsHidden: true };
  }

  /** The message at `seq` of `conv` may stand elsewhere now: tell its sender soon. */
  touch(sender: string, conv: ConversationId, seq: number): void {
    if (this.stopped) return;
    const forSender = this.pending.get(sender) ?? new Map();
    forSender.set(`${conv}|${seq}`, { conv, seq });
    this.pending.set(sender, forSender);
    this.timer ??= setTimeout(() => this.flush(), RECEIPT_WINDOW_MS);
  }

  /**
   * `reader` read `conv` from `previous` to `readSeq`: the senders of what
   * that covers hear of it — when the move was `shared` (made with read
   * receipts on); otherwise nothing about it is ever told.
   */
  readMoved(
    conv: ConversationId,
    reader: string,
    previous: number,
    readSeq: number,
    shared: boolean,
  ): void {
    if (readSeq <= previous || !shared) return;
    const rows = this.stmts.othersIn.all(conv, previous, readSeq, reader) as {
      sender: string;
      seq: number;
    }[];
    for (const r of rows) this.touch(r.sender, conv, r.seq);
  }

  /** Pushes what was gathered. */
  flush(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    for (const [sender, messages] of pending) {
      const byConv = new Map<ConversationId, ReceiptN['updates']>();
      for (const { conv, seq } of messages.values()) {
        const row = this.stmts.bySeq.get(conv, seq) as ReceiptRow | undefined;
        if (!row || row.sender !== sender || row.kind !== 'text') continue;
        const { state, receipt } = this.compute(row);
        byConv.set(conv, [...(byConv.get(conv) ?? []), { id: row.id, seq, state, receipt }]);
      }
      for (const [conv, updates] of byConv) this.push(sender, { conv, updates });
    }
  }

  /** Stops pushing (server shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
  }

  private receiptsOn(userId: string): boolean {
    return this.stmts.receiptsOn.get(userId) !== 0;
  }
}
