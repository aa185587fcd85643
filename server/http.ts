import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import {
  loginBodySchema,
  parseWith,
  mePatchSchema,
  registerBodySchema,
  renameDeviceBodySchema,
  type ClientPolicy,
  type SetupStatus,
} from '../protocol';
import { registerAccountRoutes } from './accountRoutes';
import type { Accounts } from './accounts';
import type { Budgets } from './budgets';
import { bearerToken, sendBudgetRefusal, sendError, sendRefusal, signedIn } from './httpReply';
import type { Presence } from './presence';
import { readinessCheck } from './readiness';
import type { Store } from './store';
import type { StoreWriter } from './storeWriter';

export { bearerToken };

/** Dependencies of the HTTP routes. */
export interface HttpDeps {
  accounts: Accounts;
  /** Per-user budgets (profile and device-name changes, invites). */
  budgets: Budgets;
  store: Store;
  /** Every write goes through it. */
  writer: StoreWriter;
  presence: Presence;
  clientPolicy: ClientPolicy;
  webRoot: string | undefined;
  /** Called after a device is signed out, to close its live connections. */
  onSignedOut: (deviceId: string) => void;
  /** True while the device has a live connection. */
  deviceOnline: (deviceId: string) => boolean;
}

/** Registers the JSON API, health check and static web client. */
export async function registerHttp(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const { accounts, presence, clientPolicy } = deps;

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, 'too_large', 'request body too large');
    if (status >= 400 && status < 500)
      return sendError(reply, status, 'invalid_input', error.message);
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error');
  });

  app.get('/healthz', async () => ({ ok: true }));

  // Readiness for a load balancer (deploy/haproxy.cfg): 503 while the
  // database takes no writes or its schema is not this code's.
  const ready = readinessCheck(deps.store, deps.writer);
  app.get('/readyz', async (_request, reply) => {
    const readiness = await ready();
    return reply.code(readiness.ok ? 200 : 503).send(readiness);
  });

  app.get('/api/config', async () => clientPolicy);

  // Whether the first account still needs the setup code (extension, issue 21).
  app.get('/api/setup', async (): Promise<SetupStatus> => ({
    setupRequired: accounts.setupRequired,
  }));

  app.post('/api/register', async (request, reply) => {
    const parsed = parseWith(registerBodySchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const result = await accounts.register(parsed.value, request.ip);
    if (!result.ok) {
      request.log.info({ code: result.code }, 'registration refused');
      return sendRefusal(reply, result);
    }
    request.log.info({ userId: result.session.userId }, 'registered');
    return reply.code(201).send(result.session);
  });

  app.post('/api/login', async (request, reply) => {
    const parsed = parseWith(loginBodySchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const result = await accounts.login(parsed.value, request.ip);
    if (!result.ok) {
      request.log.info({ code: result.code }, 'login refused');
      return sendRefusal(reply, result);
    }
    return reply.code(200).send(result.session);
  });

  app.post('/api/logout', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    const deviceId = token && accounts.resolve(token) ? await accounts.logout(token) : undefined;
    if (!deviceId) return sendError(reply, 401, 'unauthorized', 'missing or invalid token');
    deps.onSignedOut(deviceId);
    return reply.code(200).send({ ok: true });
  });

  app.get('/api/me', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    return {
      userId: me.userId,
      username: me.username,
      displayName: me.displayName,
      isAdmin: me.isAdmin,
      ...deps.store.prefs(me.userId),
    };
  });

  app.patch('/api/me', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const parsed = parseWith(mePatchSchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const paid = deps.budgets.take([{ name: 'profile', key: me.userId }]);
    if (!paid.ok) return sendBudgetRefusal(reply, paid);
    const { readReceipts, displayName } = parsed.value;
    await accounts.updateMe(me.userId, { readReceipts, displayName });
    // Others see the new name on their next `GET /api/users` (no push).
    if (displayName === undefined) return deps.store.prefs(me.userId);
    return { displayName, ...deps.store.prefs(me.userId) };
  });

  app.get('/api/devices', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const devices = accounts.sessions(me.userId).map((d) => ({
      deviceId: d.deviceId,
      name: d.name,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      expiresAt: d.expiresAt,
      current: d.deviceId === me.deviceId,
      online: deps.deviceOnline(d.deviceId),
    }));
    return { devices };
  });

  app.patch<{ Params: { id: string } }>('/api/devices/:id', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const parsed = parseWith(renameDeviceBodySchema, request.body);
    if (!parsed.ok) return sendError(reply, 400, 'invalid_input', parsed.error.message);
    const paid = deps.budgets.take([{ name: 'profile', key: me.userId }]);
    if (!paid.ok) return sendBudgetRefusal(reply, paid);
    const { id } = request.params;
    if (!(await deps.writer.run('renameDevice', [id, me.userId, parsed.value.name]))) {
      return sendError(reply, 404, 'not_found', 'no such device');
    }
    return { ok: true };
  });

  app.delete<{ Params: { id: string } }>('/api/devices/:id', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    if (!(await deps.writer.run('deleteDevice', [request.params.id, me.userId]))) {
      return sendError(reply, 404, 'not_found', 'no such device');
    }
    deps.onSignedOut(request.params.id);
    return { ok: true };
  });

  app.get('/api/users', async (request, reply) => {
    const me = signedIn(accounts, request, reply);
    if (!me) return reply;
    const users = accounts.all().map((u) => ({ ...u, online: presence.isOnline(u.userId) }));
    return { users };
  });

  registerAccountRoutes(app, deps);

  if (deps.webRoot && existsSync(deps.webRoot)) {
    await app.register(fastifyStatic, { root: deps.webRoot, prefix: '/' });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(
          'Tickline im-server is running. The web client has not been built (npm run build:web).\n',
        ),
    );
  }

  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such route'));
}
