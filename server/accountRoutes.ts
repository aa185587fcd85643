import type { Budgets } from './budgets';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  adminUserPatchSchema,
  createInviteBodySchema,
  parseWith,
  passwordChangeBodySchema,
  passwordResetBodySchema,
  type AdminUser,
  type SessionInfo,
} from '../protocol';
import type { Accounts, Identity } from './accounts';
import { sendBudgetRefusal, sendError, sendRefusal, signedIn } from './httpReply';

/** What the account routes need. */
export interface AccountRouteDeps {
  accounts: Accounts;
  /** Per-user budgets (new invites). */
  budgets: Budgets;
  /** Called after a device is signed out, to close its live connections. */
  onSignedOut: (deviceId: string) => void;
  /** True while the device has a live connection. */
  deviceOnline: (deviceId: string) => boolean;
}

/**
 * Invites, admin, sessions and passwords (issue 10): `/api/invites`,
 * `/api/admin/users`, `/api/sessions`, `/api/password`, `/api/password/reset`.
 * Every body is parsed with its protocol schema (400 `invalid_input`); admin
 * routes answer 403 `forbidden` to others. A session that ends has its
 * sockets closed at once.
 */
export function registerAccountRoutes(app: FastifyInstance, deps: AccountRouteDeps): void {
  const { accounts } = deps;
  const signOut = (ids: string[]) => ids.forEach((id) => deps.onSignedOut(id));

  /** The signed-in admin, or undefined after answering 401 or 403. */
  function admin(request: FastifyRequest, reply: FastifyReply): Identity | undefined {
    const me = signedIn(accounts, request, reply);
    if (me && !me.isAdmin) {
      void sendError(reply, 403, 'forbidden', 'only admins of this server may do this');
      return undefined;
    }
    return me;
  }

  const adminUser = (userId: string): AdminUser | undefined => {
    const u = accounts.users().find((x) => x.id === userId);
    return u && toAdminUser(u);
  };

  // ---- invites --------------------------------------------------------------

  app.post('/api/invites', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return reply;
    const parsed = parseWith(createInviteBodySchema, request.body ?? {});
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const paid = deps.budgets.take([{ name: 'invite', key: me.userId }]);
    if (!paid.ok) return sendBudgetRefusal(reply, paid);
    const invite = await accounts.createInvite(me, parsed.value);
    request.log.info({ inviteId: invite.id, by: me.userId }, 'invite created');
    return reply.code(201).send({ ...invite, createdBy: me.username });
  });

  app.get('/api/invites', async (request, reply) => {
    if (!admin(request, reply)) return reply;
    return { invites: accounts.listInvites() };
  });

  app.delete<{ Params: { code: string } }>('/api/invites/:code', async (request, reply) => {
    if (!admin(request, reply)) return reply;
    if ((await accounts.revokeInvite(request.params.code)) === 'unknown') {
      return sendError(reply, 404, 'not_found', 'no such invite');
    }
    return { ok: true };
  });

  // ---- admin: users -----------------------------------------------------------

  app.get('/api/admin/users', async (request, reply) => {
    if (!admin(request, reply)) return reply;
    return { users: accounts.users().map(toAdminUser) };
  });

  app.patch<{ Params: { id: string } }>('/api/admin/users/:id', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return reply;
    const parsed = parseWith(adminUserPatchSchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const result = await accounts.updateUser(request.params.id, parsed.value);
    if (!result.ok) return sendRefusal(reply, result);
    signOut(result.value);
    request.log.info({ userId: request.params.id, by: me.userId, ...parsed.value }, 'user changed');
    return { ok: true, user: adminUser(request.params.id) };
  });

  app.post<{ Params: { id: string } }>(
    '/api/admin/users/:id/reset-code',
    async (request, reply) => {
      const me = admin(request, reply);
      if (!me) return reply;
      const result = await accounts.issueResetCode(request.params.id);
      if (!result.ok) return sendRefusal(reply, result);
      request.log.info({ userId: request.params.id, by: me.userId }, 'reset code issued');
      return reply.code(201).send(result.value);
    },
  );

  app.post('/api/password/reset', async (request, reply) => {
    const parsed = parseWith(passwordResetBodySchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const result = await accounts.resetPassword(parsed.value, request.ip);
    if (!result.ok) return sendRefusal(reply, result);
    signOut(result.value);
    return { ok: true };
  });

  // ---- the person's own sessions and password -----------------------------------

  app.get('/api/sessions', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const sessions: SessionInfo[] = accounts.sessions(me.userId).map((d) => ({
      id: d.deviceId,
      name: d.name,
      current: d.deviceId === me.deviceId,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      expiresAt: d.deviceId === me.deviceId ? me.expiresAt : d.expiresAt,
      online: deps.deviceOnline(d.deviceId),
    }));
    return { sessions };
  });

  app.delete<{ Params: { id: string } }>('/api/sessions/:id', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    if (!(await accounts.revokeSession(me.userId, request.params.id))) {
      return sendError(reply, 404, 'not_found', 'no such session');
    }
    deps.onSignedOut(request.params.id);
    return { ok: true };
  });

  app.post('/api/sessions/revoke-others', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const revoked = await accounts.revokeOthers(me);
    signOut(revoked);
    return { ok: true, revoked: revoked.length };
  });

  app.post('/api/password', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const parsed = parseWith(passwordChangeBodySchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const result = await accounts.changePassword(me, parsed.value, request.ip);
    if (!result.ok) {
      // 403, not 401: the session is fine, only the current password was wrong.
      return sendRefusal(reply, result, result.code === 'bad_credentials' ? 403 : undefined);
    }
    signOut(result.value);
    return { ok: true, revoked: result.value.length };
  });
}

function toAdminUser(u: {
  id: string;
  username: string;
  displayName: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: number;
}): AdminUser {
  const { id, username, displayName, isAdmin, disabled, createdAt } = u;
  return { userId: id, username, displayName, isAdmin, disabled, createdAt };
}
