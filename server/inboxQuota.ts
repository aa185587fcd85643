import type Database from 'better-sqlite3';
import type { Clock } from './tokenBucket';

/** How often (at most) a recipient's count is re-read while it looks full. */
const RECHECK_MS = 1_000;

/**
 * Undelivered direct messages per recipient, so that a full inbox refuses
 * new messages (`inbox_full`) in O(1). Counts are read once at start (from
 * the `messages_undelivered` partial index) and then kept: +1 when a direct
 * message is stored, −1 when its first delivery is recorded. A count can
 * drift high (a rolled-back write, a message removed by retention), never
 * much low, so when one says "full" it is re-read exactly (at most `quota`
 * index entries, at most once a second per recipient) before refusing.
 */
export class InboxQuota {
  private readonly counts = new Map<string, number>();
  private readonly checkedAt = new Map<string, number>();
  private readonly exact: Database.Statement;

  constructor(
    db: Database.Database,
    /** Undelivered messages a recipient may have waiting; 0 turns the quota off. */
    readonly quota: number,
    private readonly clock: Clock = Date.now,
  ) {
    this.exact = db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM messages
           WHERE recipient = ? AND delivered_at IS NULL LIMIT ?)`,
      )
      .pluck();
    if (quota <= 0) return;
    const rows = db
      .prepare(
        `SELECT recipient, count(*) AS n FROM messages
         WHERE delivered_at IS NULL AND conv LIKE 'd:%' GROUP BY recipient`,
      )
      .all() as { recipient: string; n: number }[];
    for (const r of rows) this.counts.set(r.recipient, r.n);
  }

  /** True when `recipient` may receive one more direct message. */
  admits(recipient: string): boolean {
    if (this.quota <= 0) return true;
    if ((this.counts.get(recipient) ?? 0) < this.quota) return true;
    const now = this.clock();
    if (now - (this.checkedAt.get(recipient) ?? -Infinity) < RECHECK_MS) return false;
    this.checkedAt.set(recipient, now);
    const n = this.exact.get(recipient, this.quota) as number;
    this.counts.set(recipient, n);
    return n < this.quota;
  }

  /** A direct message to `recipient` was stored. */
  stored(recipient: string): void {
    if (this.quota <= 0) return;
    this.counts.set(recipient, (this.counts.get(recipient) ?? 0) + 1);
  }

  /** A direct message to `recipient` was delivered for the first time. */
  delivered(recipient: string): void {
    const n = (this.counts.get(recipient) ?? 0) - 1;
    if (n > 0) this.counts.set(recipient, n);
    else this.counts.delete(recipient);
  }
}
