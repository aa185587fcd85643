import {
  adminUserSchema,
  adminUsersResponseSchema,
  createdInviteSchema,
  invitesResponseSchema,
  meSchema,
  resetCodeSchema,
  revokedSchema,
  sessionsResponseSchema,
  type AdminUser,
  type AdminUserPatch,
  type CreateInviteBody,
  type CreatedInvite,
  type Invite,
  type Me,
  type PasswordChangeBody,
  type PasswordResetBody,
  type ResetCode,
  type SessionInfo,
} from '../protocol';
import { authorized, call, post } from './api';

/** The server and bearer token of a signed-in session. */
export interface Credentials {
  url: string;
  token: string;
}

function json(token: string, method: string, body: unknown): RequestInit {
  return authorized(token, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The signed-in person, with whether they are an admin. */
export async function fetchMe(c: Credentials): Promise<Me> {
  return meSchema.parse(await call(`${c.url}/api/me`, authorized(c.token, { method: 'GET' })));
}

/** The person's sessions, this one marked `current`. */
export async function fetchSessions(c: Credentials): Promise<SessionInfo[]> {
  const answer = await call(`${c.url}/api/sessions`, authorized(c.token, { method: 'GET' }));
  return sessionsResponseSchema.parse(answer).sessions;
}

/** Ends one of the person's sessions (its connections close at once). */
export async function revokeSession(c: Credentials, id: string): Promise<void> {
  await call(
    `${c.url}/api/sessions/${encodeURIComponent(id)}`,
    authorized(c.token, { method: 'DELETE' }),
  );
}

/** Ends every session of the person but this one; returns how many ended. */
export async function revokeOtherSessions(c: Credentials): Promise<number> {
  const answer = await call(`${c.url}/api/sessions/revoke-others`, json(c.token, 'POST', {}));
  return revokedSchema.parse(answer).revoked;
}

/** Changes the person's password (the other sessions end). */
export async function changePassword(c: Credentials, body: PasswordChangeBody): Promise<void> {
  await call(`${c.url}/api/password`, json(c.token, 'POST', body));
}

/** Sets a new password with a one-time reset code from an admin. */
export async function resetPassword(url: string, body: PasswordResetBody): Promise<void> {
  await post(`${url}/api/password/reset`, body);
}

/** Every account, for admins. */
export async function fetchAdminUsers(c: Credentials): Promise<AdminUser[]> {
  const answer = await call(`${c.url}/api/admin/users`, authorized(c.token, { method: 'GET' }));
  return adminUsersResponseSchema.parse(answer).users;
}

/** Disables or enables an account, makes it admin or not; returns it as it is now. */
export async function updateAdminUser(
  c: Credentials,
  userId: string,
  patch: AdminUserPatch,
): Promise<AdminUser> {
  const answer = await call(
    `${c.url}/api/admin/users/${encodeURIComponent(userId)}`,
    json(c.token, 'PATCH', patch),
  );
  return adminUserSchema.parse((answer as { user?: unknown }).user);
}

/** Issues a one-time password-reset code for an account. */
export async function issueResetCode(c: Credentials, userId: string): Promise<ResetCode> {
  const answer = await call(
    `${c.url}/api/admin/users/${encodeURIComponent(userId)}/reset-code`,
    json(c.token, 'POST', {}),
  );
  return resetCodeSchema.parse(answer);
}

/** Every invite, newest first. */
export async function fetchInvites(c: Credentials): Promise<Invite[]> {
  const answer = await call(`${c.url}/api/invites`, authorized(c.token, { method: 'GET' }));
  return invitesResponseSchema.parse(answer).invites;
}

/** Makes an invite; its code is in this answer only. */
export async function createInvite(c: Credentials, body: CreateInviteBody): Promise<CreatedInvite> {
  return createdInviteSchema.parse(await call(`${c.url}/api/invites`, json(c.token, 'POST', body)));
}

/** Revokes an invite by id. */
export async function revokeInvite(c: Credentials, id: string): Promise<void> {
  await call(
    `${c.url}/api/invites/${encodeURIComponent(id)}`,
    authorized(c.token, { method: 'DELETE' }),
  );
}
