import type Database from 'better-sqlite3';
import type { Clock } from './tokenBucket';

/** How often (at most) a recipient's count is re-read while it looks full. */
const RECHECK_MS = 1_000;

/** The share of a recipient's quota one sender may fill: a quarter. */
export const SENDER_SHARE = 0.25;

/** Who a full inbox refuses: everyone (`recipient`), or this sender (`sender`) past their share. */
export type Full = 'recipient' | 'sender';

/**
 * Undelivered direct messages per recipient, and per sender and recipient,
 * so that a full inbox refuses new messages (`inbox_full`) in O(1): a
 * recipient may have `quota` waiting, and one sender may fill at most
 * {@link SENDER_SHARE} of it, so nobody can fill a colleague's inbox alone
 * and stop everyone else writing to them. Counts are read once at start
 * (from the `messages_undelivered` partial index) and then kept: +1 when a
 * direct message is stored, −1 when its first delivery is recorded. A count
 * can drift high (a rolled-back write, a message removed by retention),
 * never much low, so when one says "full" it is re-read exactly (at most
 * `quota` index entries, at most once a second per key) before refusing.
 */
export class InboxQuota {
  private readonly counts = new Map<string, number>();
  private readonly checkedAt = new Map<string, number>();
  private readonly exact: Database.Statement;
  private readonly exactFrom: Database.Statement;
  /** What one sender may have waiting for one recipient. */
  readonly share: number;

  constructor(
    db: Database.Database,
    /** Undelivered messages a recipient may have waiting; 0 turns the quota off. */
    readonly quota: number,
    private readonly clock: Clock = Date.now,
  ) {
    this.share = Math.max(1, Math.floor(quota * SENDER_SHARE));
    this.exact = db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM messages
           WHERE recipient = ? AND delivered_at IS NULL LIMIT ?)`,
      )
      .pluck();
    this.exactFrom = db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM messages
           WHERE recipient = ? AND delivered_at IS NULL AND sender = ? LIMIT ?)`,
      )
      .pluck();
    if (quota <= 0) return;
    const rows = db
      .prepare(
        `SELECT recipient, sender, count(*) AS n FROM messages
         WHERE delivered_at IS NULL AND conv LIKE 'd:%' GROUP BY recipient, sender`,
      )
      .all() as { recipient: string; sender: string; n: number }[];
    for (const r of rows) {
      this.add(r.recipient, r.n);
      this.add(pair(r.recipient, r.sender), r.n);
    }
  }

  /**
   * Whether `recipient`'s inbox refuses one more direct message from
   * `sender`: undefined when it takes it, else who is over the limit.
   */
  refuses(recipient: string, sender: string): Full | undefined {
    if (this.quota <= 0) return undefined;
    if (
      this.over(
        pair(recipient, sender),
        this.share,
        () => this.exactFrom.get(recipient, sender, this.share) as number,
      )
    ) {
      return 'sender';
    }
    if (this.over(recipient, this.quota, () => this.exact.get(recipient, this.quota) as number)) {
      return 'recipient';
    }
    return undefined;
  }

  /** A direct message from `sender` to `recipient` was stored. */
  stored(recipient: string, sender: string): void {
    if (this.quota <= 0) return;
    this.add(recipient, 1);
    this.add(pair(recipient, sender), 1);
  }

  /** A direct message from `sender` to `recipient` was delivered for the first time. */
  delivered(recipient: string, sender: string): void {
    this.add(recipient, -1);
    this.add(pair(recipient, sender), -1);
  }

  /** True when `key`'s count is at `limit`, re-read exactly (at most once a second) before saying so. */
  private over(key: string, limit: number, exactly: () => number): boolean {
    if ((this.counts.get(key) ?? 0) < limit) return false;
    const now = this.clock();
    if (now - (this.checkedAt.get(key) ?? -Infinity) < RECHECK_MS) return true;
    this.checkedAt.set(key, now);
    const n = exactly();
    this.counts.set(key, n);
    return n >= limit;
  }

  private add(key: string, n: number): void {
    const next = (this.counts.get(key) ?? 0) + n;
    if (next > 0) this.counts.set(key, next);
    else this.counts.delete(key);
  }
}

/** The key of one sender's messages to one recipient. */
function pair(recipient: string, sender: string): string {
  return `${recipient}\u0000${sender}`;
}
