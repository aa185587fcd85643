import type Database from 'better-sqlite3';
import { timingSafeEqual } from 'node:crypto';
import type { ResetCode } from '../protocol';
import { hashToken, newCode } from './sessions';

/** How long a password-reset code stays valid (24 hours). */
export const RESET_CODE_TTL_MS = 24 * 3_600_000;

/** A new one-time code, valid for {@link RESET_CODE_TTL_MS} (not stored yet). */
export function newResetCode(now: number): ResetCode {
  return { code: newCode(), expiresAt: now + RESET_CODE_TTL_MS };
}

/**
 * One-time password-reset codes that an admin issues for a person: at most
 * one live code per person (a new one replaces it), stored only hashed,
 * valid for {@link RESET_CODE_TTL_MS}, deleted when used.
 */
export class ResetCodes {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      upsert: db.prepare(
        `INSERT INTO reset_codes (user_id, code_hash, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash,
           expires_at = excluded.expires_at`,
      ),
      get: db.prepare(
        'SELECT code_hash AS codeHash, expires_at AS expiresAt FROM reset_codes WHERE user_id = ?',
      ),
      remove: db.prepare('DELETE FROM reset_codes WHERE user_id = ?'),
    };
  }

  /** Stores `code` as the live code of `userId` (any earlier one stops working). */
  put(userId: string, code: ResetCode): void {
    this.stmts.upsert.run(userId, hashToken(code.code), code.expiresAt);
  }

  /** True when `code` is the live code of `userId` (it is not used up by this). */
  matches(userId: string, code: string, now: number): boolean {
    const row = this.stmts.get.get(userId) as { codeHash: Buffer; expiresAt: number } | undefined;
    if (!row || row.expiresAt <= now) return false;
    return timingSafeEqual(row.codeHash, hashToken(code));
  }

  /** Deletes the code of `userId` (used, or no longer wanted). */
  remove(userId: string): void {
    this.stmts.remove.run(userId);
  }
}
