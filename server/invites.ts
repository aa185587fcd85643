import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { CreateInviteBody, CreatedInvite, Invite } from '../protocol';
import { hashToken, newCode } from './sessions';

/** How long an invite stays valid when the admin does not say (72 hours). */
export const DEFAULT_INVITE_HOURS = 72;

interface InviteRow {
  id: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revokedAt: number | null;
  createdBy: string | null;
}

function toInvite(row: InviteRow): Invite {
  const { revokedAt, createdBy, ...rest } = row;
  return {
    ...rest,
    ...(revokedAt === null ? {} : { revokedAt }),
    ...(createdBy === null ? {} : { createdBy }),
  };
}

/** A new invite (not stored yet): its id, its code (shown once, never kept) and its limits. */
export function newInvite(body: CreateInviteBody, now: number): CreatedInvite {
  return {
    id: randomUUID(),
    code: newCode(),
    createdAt: now,
    expiresAt: now + (body.expiresInHours ?? DEFAULT_INVITE_HOURS) * 3_600_000,
    maxUses: body.maxUses ?? 1,
    uses: 0,
  };
}

/**
 * Invites to create an account (registration mode `invite`). A code is
 * 128 random bits, stored only as its SHA-256 hash (like session tokens): it
 * is shown once, when made; afterwards the invite is named by its `id`.
 */
export class Invites {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO invites (id, code_hash, created_by, created_at, expires_at, max_uses)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      list: db.prepare(
        `SELECT i.id, i.created_at AS createdAt, i.expires_at AS expiresAt, i.max_uses AS maxUses,
                i.uses, i.revoked_at AS revokedAt, u.username AS createdBy
         FROM invites i LEFT JOIN users u ON u.id = i.created_by
         ORDER BY i.created_at DESC, i.id`,
      ),
      revoke: db.prepare(
        `UPDATE invites SET revoked_at = ? WHERE (id = ? OR code_hash = ?) AND revoked_at IS NULL`,
      ),
      exists: db.prepare('SELECT 1 FROM invites WHERE id = ? OR code_hash = ?').pluck(),
      usable: db
        .prepare(
          `SELECT 1 FROM invites WHERE code_hash = ? AND revoked_at IS NULL AND expires_at > ?
             AND uses < max_uses`,
        )
        .pluck(),
      consume: db.prepare(
        `UPDATE invites SET uses = uses + 1 WHERE code_hash = ? AND revoked_at IS NULL
           AND expires_at > ? AND uses < max_uses`,
      ),
    };
  }

  /** Stores an invite {@link newInvite} made (only its code's hash). */
  insert(invite: CreatedInvite, createdBy: string): void {
    const { id, code, createdAt, expiresAt, maxUses } = invite;
    this.stmts.insert.run(id, hashToken(code), createdBy, createdAt, expiresAt, maxUses);
  }

  /** Every invite, newest first (revoked and expired ones too, so the admin sees them). */
  list(): Invite[] {
    return (this.stmts.list.all() as InviteRow[]).map(toInvite);
  }

  /**
   * Revokes an invite named by its id or its code: 'revoked', 'already'
   * (it was revoked before) or 'unknown'.
   */
  revoke(idOrCode: string, now: number): 'revoked' | 'already' | 'unknown' {
    const hash = hashToken(idOrCode);
    if (this.stmts.revoke.run(now, idOrCode, hash).changes > 0) return 'revoked';
    return this.stmts.exists.get(idOrCode, hash) ? 'already' : 'unknown';
  }

  /** True when `code` names an invite that is neither expired, revoked nor used up. */
  usable(code: string, now: number): boolean {
    return this.stmts.usable.get(hashToken(code), now) === 1;
  }

  /**
   * Counts one use of `code` if it is still usable; false (nothing changed)
   * otherwise. Call inside the transaction that creates the account.
   */
  consume(code: string, now: number): boolean {
    return this.stmts.consume.run(hashToken(code), now).changes === 1;
  }
}
