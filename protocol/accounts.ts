import { z } from 'zod';
import { codeSchema, passwordSchema, tsSchema, userIdSchema, usernameSchema } from './schemas';

/** Most hours an invite may stay valid (30 days). */
export const MAX_INVITE_HOURS = 24 * 30;
/** Most accounts one invite may create. */
export const MAX_INVITE_USES = 1000;

/** `POST /api/invites` body: valid for `expiresInHours` (default 72), `maxUses` accounts (default 1). */
export const createInviteBodySchema = z.strictObject({
  expiresInHours: z.number().int().min(1).max(MAX_INVITE_HOURS).optional(),
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
});
/** `POST /api/invites` body. */
export type CreateInviteBody = z.infer<typeof createInviteBodySchema>;

/**
 * One invite as `GET /api/invites` lists it. The code itself is stored only
 * hashed, so it is shown once, in the answer to `POST /api/invites`; `id`
 * names the invite afterwards.
 */
export const inviteSchema = z.object({
  id: z.string(),
  createdAt: tsSchema,
  expiresAt: tsSchema,
  maxUses: z.number().int().positive(),
  uses: z.number().int().nonnegative(),
  /** Set once revoked. */
  revokedAt: tsSchema.optional(),
  /** Username of the admin who made it (absent when that account is gone). */
  createdBy: z.string().optional(),
});
/** One invite. */
export type Invite = z.infer<typeof inviteSchema>;

/** `POST /api/invites` answer (201): the invite with its code, shown this once. */
export const createdInviteSchema = inviteSchema.extend({ code: codeSchema });
/** `POST /api/invites` answer. */
export type CreatedInvite = z.infer<typeof createdInviteSchema>;

/** `GET /api/invites` answer, newest first. */
export const invitesResponseSchema = z.object({ invites: z.array(inviteSchema) });

/** One account as `GET /api/admin/users` lists it. */
export const adminUserSchema = z.object({
  userId: userIdSchema,
  username: z.string(),
  displayName: z.string(),
  isAdmin: z.boolean(),
  disabled: z.boolean(),
  createdAt: tsSchema,
});
/** One account, for admins. */
export type AdminUser = z.infer<typeof adminUserSchema>;
/** `GET /api/admin/users` answer. */
export const adminUsersResponseSchema = z.object({ users: z.array(adminUserSchema) });

/** `PATCH /api/admin/users/:id` body: at least one of the two. */
export const adminUserPatchSchema = z
  .strictObject({ disabled: z.boolean().optional(), admin: z.boolean().optional() })
  .refine((b) => b.disabled !== undefined || b.admin !== undefined, {
    message: 'give disabled or admin',
  });
/** `PATCH /api/admin/users/:id` body. */
export type AdminUserPatch = z.infer<typeof adminUserPatchSchema>;

/** `POST /api/admin/users/:id/reset-code` answer: a one-time code, shown this once. */
export const resetCodeSchema = z.object({ code: codeSchema, expiresAt: tsSchema });
/** A one-time password-reset code. */
export type ResetCode = z.infer<typeof resetCodeSchema>;

/** `POST /api/password/reset` body. */
export const passwordResetBodySchema = z.object({
  username: usernameSchema,
  code: codeSchema,
  newPassword: passwordSchema,
});
/** `POST /api/password/reset` body. */
export type PasswordResetBody = z.infer<typeof passwordResetBodySchema>;

/** `POST /api/password` body (a signed-in person changes their password). */
export const passwordChangeBodySchema = z.object({
  currentPassword: passwordSchema,
  newPassword: passwordSchema,
});
/** `POST /api/password` body. */
export type PasswordChangeBody = z.infer<typeof passwordChangeBodySchema>;

/** One session (sign-in) of the person, as `GET /api/sessions` lists it. */
export const sessionInfoSchema = z.object({
  id: z.string(),
  /** The device's name. */
  name: z.string(),
  /** The session making the request. */
  current: z.boolean(),
  createdAt: tsSchema,
  lastSeenAt: tsSchema,
  expiresAt: tsSchema,
  /** Has a live connection now. */
  online: z.boolean(),
});
/** One session of the person. */
export type SessionInfo = z.infer<typeof sessionInfoSchema>;
/** `GET /api/sessions` answer. */
export const sessionsResponseSchema = z.object({ sessions: z.array(sessionInfoSchema) });

/** `POST /api/sessions/revoke-others` answer: how many sessions ended. */
export const revokedSchema = z.object({ ok: z.literal(true), revoked: z.number().int() });

/** `GET /api/me` answer. */
export const meSchema = z.object({
  userId: userIdSchema,
  username: z.string(),
  displayName: z.string(),
  isAdmin: z.boolean(),
  readReceipts: z.boolean(),
});
/** `GET /api/me` answer. */
export type Me = z.infer<typeof meSchema>;
