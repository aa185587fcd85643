import type { ClientPolicy } from '../protocol';

/** Total time a message may spend without msg:A before it is `failed`. */
export function retryBudgetMs(policy: ClientPolicy): number {
  let total = 0;
  for (let i = 0; i < policy.maxAttempts; i++) total += policy.ackTimeoutMs * 2 ** i;
  return total;
}

/** How long to wait for msg:A after transmission number `attempt` (1-based), jittered ±20%. */
export function attemptTimeoutMs(
  policy: ClientPolicy,
  attempt: number,
  random: () => number,
): number {
  return Math.round(policy.ackTimeoutMs * 2 ** (attempt - 1) * (0.8 + 0.4 * random()));
}

/** Longest wait between retransmissions of a message the server already holds. */
export function sentRetryCapMs(policy: ClientPolicy): number {
  return Math.min(30_000, policy.ackTimeoutMs * 16);
}

/**
 * Wait before retransmission number `round` (1-based) of a message in
 * `sent`: doubling from twice the ack timeout, capped, jittered.
 */
export function sentRetryDelayMs(
  policy: ClientPolicy,
  round: number,
  random: () => number,
): number {
  const base = Math.min(sentRetryCapMs(policy), policy.ackTimeoutMs * 2 ** Math.min(round, 20));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * How often a message in `stored` (recipient offline, stand-in ack:N
 * received) is re-checked while connected, in case the recipient's later
 * acknowledgement (ack:N offline:false) was lost.
 */
export function storedRecheckMs(policy: ClientPolicy): number {
  return sentRetryCapMs(policy) * 4;
}

/**
 * How often a connected device pulls `offline:R` on its own and asks
 * `status:R` about the person's messages nobody has yet: a safety net for a
 * push (a message, an `ack:N`, a `receipt:N`) lost on a connection that
 * stayed up (gaps in `seq` trigger a pull at once; this catches a lost last
 * message). Same as the cap of the `sent` backoff: 30 s with the default policy.
 */
export function syncIntervalMs(policy: ClientPolicy): number {
  return sentRetryCapMs(policy);
}

/** Longest wait for the answer to a liveness probe (`ping:R`). */
export const PROBE_TIMEOUT_CAP_MS = 2_000;
/** Shortest wait for it: a busy server must not look dead under a very short ack timeout. */
export const PROBE_TIMEOUT_FLOOR_MS = 1_000;

/** How long a liveness probe waits for its answer: `ackTimeoutMs` within [1 s, 2 s]. */
export function probeTimeoutMs(policy: ClientPolicy): number {
  return Math.min(Math.max(policy.ackTimeoutMs, PROBE_TIMEOUT_FLOOR_MS), PROBE_TIMEOUT_CAP_MS);
}

/**
 * Wait before trying again after the server said "not now" (`rate_limited`,
 * `inbox_full`) with `retryAfterMs`: that long plus a small jitter (up to
 * 10% + 50 ms, at most 1 s more), so that throttled devices do not return together.
 */
export function throttleDelayMs(retryAfterMs: number, random: () => number): number {
  const spread = Math.min(1_000, 50 + retryAfterMs * 0.1);
  return Math.round(Math.max(0, retryAfterMs) + spread * random());
}

/**
 * How long transmission number `round` (1-based) of an `ack:R` waits for
 * `ack:A` before it is sent again: the `sent` backoff two steps on
 * ({@link sentRetryDelayMs} of `round + 2`: about 8·T, then the cap). The
 * wait is the backoff. It starts long because a late `ack:A` usually means
 * a busy server, and each retransmission costs it a write and an `ack:N`;
 * a lost one is rare and nothing waits for it (the sender already has `ack:N`).
 */
export function ackTimeoutMs(policy: ClientPolicy, round: number, random: () => number): number {
  return sentRetryDelayMs(policy, round + 2, random);
}
