import { RateLimiterMemory } from 'rate-limiter-flexible';

/** Failed sign-ins allowed per username and per address in a window. */
export interface LoginLimits {
  perUsername: number;
  perAddress: number;
  windowSeconds: number;
}

/** Defaults: 10 failures per username, 50 per address, per 15 minutes. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUsername: 10,
  perAddress: 50,
  windowSeconds: 15 * 60,
};

/**
 * Counts failed sign-ins per username and per client address; once either
 * is over its limit, further attempts are refused before any hashing.
 */
export class LoginLimiter {
  private readonly byUser: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.byUser = new RateLimiterMemory({
      points: limits.perUsername,
      duration: limits.windowSeconds,
    });
    this.byAddress = new RateLimiterMemory({
      points: limits.perAddress,
      duration: limits.windowSeconds,
    });
  }

  /** True when another attempt for this username from this address is allowed. */
  async allowed(username: string, address: string): Promise<boolean> {
    const [u, a] = await Promise.all([this.byUser.get(username), this.byAddress.get(address)]);
    const over = (res: typeof u, limit: number) => res !== null && res.consumedPoints >= limit;
    return !over(u, this.byUser.points) && !over(a, this.byAddress.points);
  }

  /** Records a failed attempt. */
  async failed(username: string, address: string): Promise<void> {
    await Promise.all([this.byUser.penalty(username, 1), this.byAddress.penalty(address, 1)]);
  }

  /** Clears the username's failures after a successful sign-in. */
  async succeeded(username: string): Promise<void> {
    await this.byUser.delete(username);
  }
}
