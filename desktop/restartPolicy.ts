/**
 * When to restart an embedded server that died, and when to give up: waits of
 * 1 s, 2 s, 4 s … (capped), and no more attempts after a number of quick
 * failures in a row. A server that ran long enough before dying starts the
 * count afresh. No Electron here.
 */

/** Tuning of {@link RestartBackoff}; tests shorten the times. */
export interface RestartPolicy {
  /** Wait before the first restart attempt. */
  firstDelayMs: number;
  /** Longest wait between attempts. */
  maxDelayMs: number;
  /** Quick failures in a row after which the server is left stopped. */
  maxQuickFailures: number;
  /** A server that ran at least this long before dying was not a quick failure. */
  stableAfterMs: number;
}

/** 1 s, 2 s, 4 s, 8 s, 16 s, then give up; a server that ran a minute starts the count afresh. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxQuickFailures: 5,
  stableAfterMs: 60_000,
};

/** What to do after a failure: restart after `delayMs`, or stop trying. */
export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'give-up' };

/** Counts quick failures in a row and answers each with a wait or "give up". */
export class RestartBackoff {
  private quickFailures = 0;

  constructor(private readonly policy: RestartPolicy) {
    if (
      !(policy.firstDelayMs > 0) ||
      !(policy.maxDelayMs >= policy.firstDelayMs) ||
      !Number.isInteger(policy.maxQuickFailures) ||
      policy.maxQuickFailures < 1 ||
      !(policy.stableAfterMs >= 0)
    ) {
      throw new RangeError(`Invalid restart policy: ${JSON.stringify(policy)}`);
    }
  }

  /** A server died (or a restart failed) after running `ranForMs`. */
  failed(ranForMs: number): RestartDecision {
    if (ranForMs >= this.policy.stableAfterMs) this.quickFailures = 0;
    this.quickFailures += 1;
    if (this.quickFailures > this.policy.maxQuickFailures) return { action: 'give-up' };
    const delayMs = Math.min(
      this.policy.firstDelayMs * 2 ** (this.quickFailures - 1),
      this.policy.maxDelayMs,
    );
    return { action: 'restart', delayMs };
  }

  /** Forgets earlier failures (the person started the server again). */
  reset(): void {
    this.quickFailures = 0;
  }
}
