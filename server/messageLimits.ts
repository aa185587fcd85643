import type Database from 'better-sqlite3';
import { fail, type Failure } from '../protocol';
import type { Budgets } from './budgets';
import type { InboxQuota } from './inboxQuota';
import type { StoreResult } from './store';
import type { TokenBuckets } from './tokenBucket';

/** How long a sender refused with `inbox_full` is told to wait. */
export const INBOX_FULL_RETRY_MS = 30_000;

/** A `msg:R` let through; what it took (given back when nothing is stored). */
export interface Admitted {
  ok: true;
  /** It took a token of the sender's message rate. */
  charged: boolean;
  /** Pushes it was charged for (a group message: its recipients). */
  fanout: number;
}

/**
 * The limits a `msg:R` passes before it is stored: the sender's message
 * rate; for a group message, its fan-out (one push per recipient) from the
 * sender's {@link Budgets}; for a direct message, the recipient's inbox
 * quota, of which one sender may fill only a share. A retransmission of a
 * message already stored passes for free: answering it stores nothing.
 */
export class MessageLimits {
  private readonly storedStmt: Database.Statement;

  constructor(
    db: Database.Database,
    /** Per-sender buckets; undefined when the rate limit is off. */
    private readonly rate: TokenBuckets | undefined,
    private readonly quota: InboxQuota,
    private readonly budgets: Budgets,
  ) {
    this.storedStmt = db.prepare('SELECT 1 FROM messages WHERE sender = ? AND id = ?').pluck();
  }

  /**
   * Decides whether `sender` may store message `id` to `to` now; a group
   * message reaches `recipients` others.
   */
  admit(
    sender: string,
    id: string,
    to: string,
    group: boolean,
    recipients = 0,
  ): Admitted | Failure {
    let charged = false;
    /** Gives back what was taken, and lets a stored retransmission through. */
    const refuse = (failure: Failure): Admitted | Failure => {
      if (charged) this.rate?.refund(sender);
      return this.isStored(sender, id) ? { ok: true, charged: false, fanout: 0 } : failure;
    };
    if (this.rate) {
      const taken = this.rate.take(sender);
      if (!taken.ok) return refuse(fail('rate_limited', 'sending too fast', taken.retryAfterMs));
      charged = true;
    }
    if (group) {
      const paid = this.budgets.take([{ name: 'fanout', key: sender, cost: recipients }]);
      if (!paid.ok) return refuse(paid);
      return { ok: true, charged, fanout: recipients };
    }
    if (to !== sender) {
      const full = this.quota.refuses(to, sender);
      if (full) {
        return refuse(
          fail(
            'inbox_full',
            full === 'sender'
              ? 'you have too many undelivered messages waiting for this person'
              : 'the recipient has too many undelivered messages',
            INBOX_FULL_RETRY_MS,
          ),
        );
      }
    }
    return { ok: true, charged, fanout: 0 };
  }

  /** Settles an admitted message once storing it answered `result`. */
  settled(sender: string, to: string, group: boolean, admitted: Admitted, result: StoreResult) {
    if (result.kind !== 'stored') {
      if (admitted.charged) this.rate?.refund(sender);
      if (admitted.fanout > 0) {
        this.budgets.refund([{ name: 'fanout', key: sender, cost: admitted.fanout }]);
      }
      return;
    }
    if (!group) this.quota.stored(to, sender);
  }

  /** The first delivery of `sender`'s direct message to `recipient` was recorded. */
  delivered(recipient: string, sender: string): void {
    this.quota.delivered(recipient, sender);
  }

  private isStored(sender: string, id: string): boolean {
    return this.storedStmt.get(sender, id) !== undefined;
  }
}
