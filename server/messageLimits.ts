import type Database from 'better-sqlite3';
import { fail, type Failure } from '../protocol';
import type { InboxQuota } from './inboxQuota';
import type { StoreResult } from './store';
import type { TokenBuckets } from './tokenBucket';

/** How long a sender refused with `inbox_full` is told to wait. */
export const INBOX_FULL_RETRY_MS = 30_000;

/** A `msg:R` let through; `charged` when it took a token of the sender's rate. */
export interface Admitted {
  ok: true;
  charged: boolean;
}

/**
 * The limits a `msg:R` passes before it is stored: the sender's message
 * rate and the recipient's inbox quota (direct messages only; a group
 * message is bounded by its sender's rate). A retransmission of a message
 * already stored passes both for free: answering it stores nothing.
 */
export class MessageLimits {
  private readonly storedStmt: Database.Statement;

  constructor(
    db: Database.Database,
    /** Per-sender buckets; undefined when the rate limit is off. */
    private readonly rate: TokenBuckets | undefined,
    private readonly quota: InboxQuota,
  ) {
    this.storedStmt = db.prepare('SELECT 1 FROM messages WHERE sender = ? AND id = ?').pluck();
  }

  /** Decides whether `sender` may store message `id` to `to` now. */
  admit(sender: string, id: string, to: string, group: boolean): Admitted | Failure {
    let charged = false;
    if (this.rate) {
      const taken = this.rate.take(sender);
      if (!taken.ok) {
        if (this.isStored(sender, id)) return { ok: true, charged: false };
        return fail('rate_limited', 'sending too fast', taken.retryAfterMs);
      }
      charged = true;
    }
    if (!group && to !== sender && !this.quota.admits(to)) {
      if (charged) this.rate?.refund(sender);
      if (this.isStored(sender, id)) return { ok: true, charged: false };
      return fail(
        'inbox_full',
        'the recipient has too many undelivered messages',
        INBOX_FULL_RETRY_MS,
      );
    }
    return { ok: true, charged };
  }

  /** Settles an admitted message once storing it answered `result`. */
  settled(sender: string, to: string, group: boolean, admitted: Admitted, result: StoreResult) {
    if (result.kind !== 'stored') {
      if (admitted.charged) this.rate?.refund(sender);
      return;
    }
    if (!group) this.quota.stored(to);
  }

  /** The first delivery of a direct message to `recipient` was recorded. */
  delivered(recipient: string): void {
    this.quota.delivered(recipient);
  }

  private isStored(sender: string, id: string): boolean {
    return this.storedStmt.get(sender, id) !== undefined;
  }
}
