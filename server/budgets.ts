import { fail, type Failure } from '../protocol';
import { TokenBuckets, type Clock } from './tokenBucket';

/** One budget: tokens a second, and the burst a full bucket allows. */
export interface BudgetSpec {
  perSecond: number;
  burst: number;
}

const HOUR = 3_600;

/**
 * Per-user budgets of the write paths other than the message rate, each
 * priced by what the action costs the others (docs/SECURITY.md's table). At
 * `--rate-limit 30` (the default) they are as below; every budget scales
 * with the rate limit, and `--rate-limit 0` turns them all off (benchmarks).
 */
export const BUDGETS = {
  /**
   * Pushes one person's actions cause to others: a group message costs its
   * recipients, a membership change or rename its audience, typing its
   * recipients. 300 a second, bursts of 3,000.
   */
  fanout: { perSecond: 300, burst: 3_000 },
  /** Renames and membership changes (add, remove, make admin, leave): one every 2 s, bursts of 20. */
  groupChange: { perSecond: 0.5, burst: 20 },
  /** New groups: 20 at once, then one an hour. */
  groupCreate: { perSecond: 1 / HOUR, burst: 20 },
  /**
   * Times a person may be put into a group by someone else (charged to the
   * person added, from anyone): 20 at once, then one an hour. Without it,
   * anyone could put a colleague in hundreds of groups they never chose.
   */
  addedToGroup: { perSecond: 1 / HOUR, burst: 20 },
  /** `typing:R` (the server forwards at most one a second per conversation anyway). */
  typing: { perSecond: 2, burst: 10 },
  /** `read:R`. */
  read: { perSecond: 10, burst: 100 },
  /** Profile and device-name changes. */
  profile: { perSecond: 1 / 60, burst: 10 },
  /** New invites (admins). */
  invite: { perSecond: 1 / 60, burst: 20 },
} as const satisfies Record<string, BudgetSpec>;

/** The name of one budget. */
export type BudgetName = keyof typeof BUDGETS;

/** One charge: `cost` tokens of budget `name`, for `key` (a user id). */
export interface Charge {
  name: BudgetName;
  key: string;
  cost?: number;
}

/** What each budget says when it runs out. */
const REFUSALS: Record<BudgetName, string> = {
  fanout: 'too many messages to others at once; wait a moment',
  groupChange: 'too many group changes at once; wait a moment',
  groupCreate: 'too many new groups; wait a while',
  addedToGroup: 'someone was put in too many groups lately; they can be added later',
  typing: 'typing too often',
  read: 'too many read positions at once',
  profile: 'too many profile changes; wait a minute',
  invite: 'too many invites; wait a minute',
};

/** Per-user token buckets of every write path ({@link BUDGETS}), scaled by `scale`; none at 0. */
export class Budgets {
  private readonly buckets: Partial<Record<BudgetName, TokenBuckets>> = {};

  constructor(scale: number, clock: Clock = Date.now) {
    if (!(scale > 0)) return;
    for (const [name, spec] of Object.entries(BUDGETS) as [BudgetName, BudgetSpec][]) {
      // A low rate limit still lets one action of each kind through at once.
      const burst = Math.max(1, spec.burst * scale);
      this.buckets[name] = new TokenBuckets(spec.perSecond * scale, burst, clock);
    }
  }

  /**
   * Takes every charge, or none: `ok`, or `rate_limited` (with `retryAfterMs`
   * and what ran out) when one of them cannot be paid now.
   */
  take(charges: Charge[]): { ok: true } | Failure {
    const taken: Charge[] = [];
    for (const charge of charges) {
      const bucket = this.buckets[charge.name];
      if (!bucket) continue;
      const result = bucket.take(charge.key, charge.cost ?? 1);
      if (!result.ok) {
        this.refund(taken);
        return fail('rate_limited', REFUSALS[charge.name], result.retryAfterMs);
      }
      taken.push(charge);
    }
    return { ok: true };
  }

  /** Gives back charges taken for an action that did not happen. */
  refund(charges: Charge[]): void {
    for (const charge of charges) this.buckets[charge.name]?.refund(charge.key, charge.cost ?? 1);
  }
}
