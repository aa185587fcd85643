import { TokenBuckets, type Clock } from './tokenBucket';

/** Sign-in throttling: free attempts, then exponential backoff (never a lockout). */
export interface LoginLimits {
  /** Attempts per username before backoff starts. */
  perUsername: number;
  /** Attempts per client address before backoff starts. */
  perAddress: number;
  /** The first backoff delay; each further attempt doubles it. */
  baseDelayMs: number;
  /** Longest backoff: the real owner of an attacked account waits at most this long. */
  maxDelayMs: number;
  /** Attempts are forgotten after this long without one. */
  forgetAfterMs: number;
  /** Registrations per address at once (a burst); 0 turns the limit off. */
  registrationBurst: number;
  /** After the burst, one more registration per address this often. */
  registrationIntervalMs: number;
}

/** Defaults: 10 attempts per username, 50 per address, then 1 s, 2 s, 4 s … at most 60 s. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUsername: 10,
  perAddress: 50,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  registrationBurst: 30,
  registrationIntervalMs: 120_000,
};

/** An attempt that was counted; undo it when it turned out not to be one. */
export interface Attempt {
  /** The credentials were right: the username's attempts are forgotten. */
  succeeded(): void;
  /** It never reached the password check (e.g. the hasher was busy). */
  undo(): void;
}

/** Outcome of {@link LoginLimiter.attempt}. */
export type AttemptResult = { ok: true; attempt: Attempt } | { ok: false; retryAfterMs: number };

interface Counter {
  count: number;
  last: number;
  blockedUntil: number;
}

/** Counters kept before forgotten ones are dropped. */
const PRUNE_ABOVE = 10_000;

/**
 * Throttles sign-ins per (username, client address) and per client address. An attempt is
 * counted before the password is hashed (synchronously, so concurrent
 * guesses cannot all pass the check) and given back when it succeeds. Past
 * the free attempts each one sets a backoff that doubles up to
 * `maxDelayMs`: a guesser is slowed down, the owner is never locked out.
 */
export class LoginLimiter {
  private readonly limits: LoginLimits;
  private readonly counters = new Map<string, Counter>();
  private readonly registrations: TokenBuckets | undefined;

  constructor(
    limits: Partial<LoginLimits> = {},
    private readonly clock: Clock = Date.now,
  ) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    const { registrationBurst, registrationIntervalMs } = this.limits;
    this.registrations =
      registrationBurst > 0
        ? new TokenBuckets(1000 / registrationIntervalMs, registrationBurst, clock)
        : undefined;
  }

  /**
   * Counts a sign-in attempt, or says how long to wait before the next one
   * may be made. Attempts are counted per username **from this address** and
   * per address — never per username from everywhere, so that nobody can keep
   * someone else out by failing with their name from another machine.
   */
  attempt(username: string, address: string): AttemptResult {
    const now = this.clock();
    const userKey = `u:${address}\u0000${username}`;
    const user = this.counter(userKey, now);
    const addr = this.counter(`a:${address}`, now);
    const wait = Math.max(user.blockedUntil, addr.blockedUntil) - now;
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    const { perUsername, perAddress } = this.limits;
    this.count(user, perUsername, now);
    this.count(addr, perAddress, now);
    let settled = false;
    return {
      ok: true,
      attempt: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          this.counters.delete(userKey);
          this.uncount(addr, perAddress);
        },
        undo: () => {
          if (settled) return;
          settled = true;
          this.uncount(user, perUsername);
          this.uncount(addr, perAddress);
        },
      },
    };
  }

  /** Takes one registration of `address`; undefined when allowed, else how long to wait. */
  registration(address: string): number | undefined {
    const taken = this.registrations?.take(address);
    return taken && !taken.ok ? taken.retryAfterMs : undefined;
  }

  /** Gives back a registration that never reached hashing. */
  registrationUndone(address: string): void {
    this.registrations?.refund(address);
  }

  private delay(count: number, free: number): number {
    if (count < free) return 0;
    const { baseDelayMs, maxDelayMs } = this.limits;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, count - free));
  }

  private count(c: Counter, free: number, now: number): void {
    c.count++;
    c.last = now;
    const delay = this.delay(c.count, free);
    if (delay > 0) c.blockedUntil = now + delay;
  }

  private uncount(c: Counter, free: number): void {
    c.count = Math.max(0, c.count - 1);
    c.blockedUntil = c.count < free ? 0 : c.last + this.delay(c.count, free);
  }

  private counter(key: string, now: number): Counter {
    let c = this.counters.get(key);
    if (c && now >= c.blockedUntil && now - c.last >= this.limits.forgetAfterMs) {
      this.counters.delete(key);
      c = undefined;
    }
    if (!c) {
      if (this.counters.size >= PRUNE_ABOVE) this.prune(now);
      c = { count: 0, last: now, blockedUntil: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  private prune(now: number): void {
    for (const [key, c] of this.counters) {
      if (now >= c.blockedUntil && now - c.last >= this.limits.forgetAfterMs) {
        this.counters.delete(key);
      }
    }
  }
}
