/** A clock in milliseconds (injectable so that tests need not sleep). */
export type Clock = () => number;

/** What a {@link TokenBuckets.take} decided. */
export type Taken = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before full (idle) ones are dropped. */
const PRUNE_ABOVE = 10_000;

/**
 * Token buckets by key: each refills `perSecond` tokens a second up to
 * `capacity` and a request takes one. Synchronous, so checking and taking
 * cannot be split by another request. A full bucket is the same as none,
 * so idle keys are dropped once there are many.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly clock: Clock = Date.now,
  ) {
    if (!(perSecond > 0) || !(capacity >= 1)) {
      throw new Error(`token bucket needs a positive rate and capacity ≥ 1`);
    }
  }

  /**
   * Takes `cost` tokens of `key` (a cost above the capacity takes a full
   * bucket), or says how long until they are there.
   */
  take(key: string, cost = 1): Taken {
    const bucket = this.refilled(key);
    const need = Math.min(cost, this.capacity);
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterMs: Math.ceil(((need - bucket.tokens) * 1000) / this.perSecond),
    };
  }

  /** Gives back `cost` tokens taken for a request that turned out to cost nothing. */
  refund(key: string, cost = 1): void {
    const bucket = this.refilled(key);
    bucket.tokens = Math.min(this.capacity, bucket.tokens + Math.min(cost, this.capacity));
  }

  private refilled(key: string): Bucket {
    const now = this.clock();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (elapsed * this.perSecond) / 1000);
    bucket.at = now;
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.perSecond) / 1000 >= this.capacity) {
        this.buckets.delete(key);
      }
    }
  }
}
