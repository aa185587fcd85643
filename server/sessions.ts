import { createHash, randomBytes } from 'node:crypto';

const DAY_MS = 86_400_000;

/** How long a session lasts after its last use, unless configured (30 days). */
export const DEFAULT_SESSION_TTL_MS = 30 * DAY_MS;
/** The longest session lifetime a server may be configured with (90 days). */
export const MAX_SESSION_TTL_MS = 90 * DAY_MS;
/** The shortest (one minute; tests use little more). */
export const MIN_SESSION_TTL_MS = 60_000;
/** A session's expiry is written at most this often (its last use moves it). */
export const SESSION_SLIDE_STEP_MS = 60_000;

/** A new session token: 256 random bits, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A new invite or reset code: 128 random bits, base64url (22 characters). */
export function newCode(): string {
  return randomBytes(16).toString('base64url');
}

/** The only form in which a token (or an invite or reset code) is stored. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The expiry a session used at `now` should have, or undefined when the one it
 * has (`expiresAt`) is recent enough not to be written again: expiry moves
 * only in steps of at least {@link SESSION_SLIDE_STEP_MS}, so a busy session
 * costs at most one write a minute.
 */
export function slidExpiry(expiresAt: number, now: number, ttlMs: number): number | undefined {
  const next = now + ttlMs;
  return next - expiresAt >= SESSION_SLIDE_STEP_MS ? next : undefined;
}

/** Checks a configured session lifetime (milliseconds); throws a one-line error otherwise. */
export function checkSessionTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs < MIN_SESSION_TTL_MS || ttlMs > MAX_SESSION_TTL_MS) {
    throw new Error(
      `session lifetime must be between 1 minute and 90 days, got ${String(ttlMs)} ms`,
    );
  }
  return ttlMs;
}
