import type Database from 'better-sqlite3';
import {
  isGroupId,
  RECEIPT_WINDOW_MS,
  type ConversationId,
  type OutState,
  type ReceiptCounts,
  type ReceiptN,
} from '../protocol';

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
}

const ROW =
  'conv, seq, sender, id, recipient, recipients, delivered_at AS deliveredAt, kind FROM messages';

/**
 * Delivery and read receipts. Group deliveries are one row per member and
 * message (`deliveries`); reading is a position per member and conversation
 * (`members.read_seq`, its moves in `reads`), so a read costs one write
 * however many messages it covers. Changes for a sender are gathered for
 * {@link RECEIPT_WINDOW_MS} and pushed as one `receipt:N` per conversation.
 * A person with read receipts off neither counts as having read, nor sees
 * others' reads.
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
          `SELECT count(*) FROM members mb JOIN users u ON u.id = mb.user_id
           WHERE mb.conv = :conv AND mb.user_id != :sender AND mb.read_seq >= :seq AND u.read_receipts = 1
             AND EXISTS (SELECT 1 FROM periods p WHERE p.conv = mb.conv AND p.user_id = mb.user_id
                         AND p.from_seq <= :seq AND (p.until_seq IS NULL OR p.until_seq >= :seq))`,
        )
        .pluck(),
      readSeq: db.prepare('SELECT read_seq FROM members WHERE conv = ? AND user_id = ?').pluck(),
      groupRecipients: db.prepare(
        `SELECT p.user_id AS userId, d.at AS deliveredAt, mb.read_seq AS readSeq, u.read_receipts AS receiptsOn
         FROM periods p
         JOIN members mb ON mb.conv = p.conv AND mb.user_id = p.user_id
         JOIN users u ON u.id = p.user_id
         LEFT JOIN deliveries d ON d.conv = p.conv AND d.seq = :seq AND d.user_id = p.user_id
         WHERE p.conv = :conv AND p.user_id != :sender
           AND p.from_seq <= :seq AND (p.until_seq IS NULL OR p.until_seq >= :seq)`,
      ),
      readAt: db
        .prepare('SELECT min(at) FROM reads WHERE conv = ? AND user_id = ? AND seq >= ?')
        .pluck(),
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
      const readSeq = this.stmts.readSeq.get(row.conv, row.recipient) as number | undefined;
      read =
        senderSees &&
        row.recipient !== row.sender &&
        (readSeq ?? 0) >= row.seq &&
        this.receiptsOn(row.recipient)
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
   * and was read by each; undefined when `conv` holds no such message of theirs.
   */
  info(sender: string, conv: ConversationId, id: string): RecipientInfo[] | undefined {
    const row = this.stmts.byId.get(sender, id) as ReceiptRow | undefined;
    if (!row || row.kind !== 'text' || row.conv !== conv) return undefined;
    const senderSees = this.receiptsOn(row.sender);
    const readAt = (userId: string, readSeq: number, receiptsOn: boolean) =>
      senderSees && receiptsOn && readSeq >= row.seq
        ? ((this.stmts.readAt.get(row.conv, userId, row.seq) as number | null) ?? undefined)
        : undefined;
    if (isGroupId(row.conv)) {
      const rows = this.stmts.groupRecipients.all({
        conv: row.conv,
        seq: row.seq,
        sender: row.sender,
      }) as { userId: string; deliveredAt: number | null; readSeq: number; receiptsOn: number }[];
      return rows.map((r) => ({
        userId: r.userId,
        ...(r.deliveredAt !== null ? { deliveredAt: r.deliveredAt } : {}),
        ...optional('readAt', readAt(r.userId, r.readSeq, r.receiptsOn === 1)),
      }));
    }
    const readSeq = (this.stmts.readSeq.get(row.conv, row.recipient) as number | undefined) ?? 0;
    return [
      {
        userId: row.recipient,
        ...(row.deliveredAt !== null ? { deliveredAt: row.deliveredAt } : {}),
        ...optional('readAt', readAt(row.recipient, readSeq, this.receiptsOn(row.recipient))),
      },
    ];
  }

  /** The message at `seq` of `conv` may stand elsewhere now: tell its sender soon. */
  touch(sender: string, conv: ConversationId, seq: number): void {
    if (this.stopped) return;
    const forSender = this.pending.get(sender) ?? new Map();
    forSender.set(`${conv}|${seq}`, { conv, seq });
    this.pending.set(sender, forSender);
    this.timer ??= setTimeout(() => this.flush(), RECEIPT_WINDOW_MS);
  }

  /** `reader` read `conv` from `previous` to `readSeq`: the senders of what that covers hear of it. */
  readMoved(conv: ConversationId, reader: string, previous: number, readSeq: number): void {
    if (readSeq <= previous || !this.receiptsOn(reader)) return;
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

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
