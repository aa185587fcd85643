import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import {
  DEFAULT_CLIENT_POLICY,
  deviceRoom,
  DESKTOP_APP_ORIGIN,
  MAX_FRAME_BYTES,
  MAX_HTTP_BODY_BYTES,
  type ClientPolicy,
} from '../protocol';
import { Accounts, type RegistrationMode } from './accounts';
import { GroupCommit } from './groupCommit';
import { registerHttp } from './http';
import { createLogger } from './logger';
import { InboxQuota } from './inboxQuota';
import { LoginLimiter, type LoginLimits } from './loginLimiter';
import { MessageLimits } from './messageLimits';
import { OWASP_SCRYPT, PasswordHasher, type ScryptParams } from './passwords';
import { Groups } from './groups';
import { Presence } from './presence';
import { Pushes } from './pushes';
import { Receipts } from './receipts';
import { attachRealtime, PRESENCE_ROOM, type ImIo } from './realtime';
import { RetentionJob } from './retention';
import { Store } from './store';
import { TokenBuckets, type Clock } from './tokenBucket';

/** Defaults of the limits that keep one user from hurting the others. */
export const DEFAULT_LIMITS = {
  /** Messages per second per user (a burst of ten times as many is allowed). */
  rateLimit: 30,
  /** Live connections per user. */
  maxConnectionsPerUser: 20,
  /** Unanswered requests per connection. */
  maxInFlight: 64,
  /** Undelivered direct messages waiting per recipient. */
  inboxQuota: 2_000,
  /** Password hashes waiting for their turn. */
  hashQueue: 32,
} as const;

/** Socket.IO heartbeat: a dead idle connection is noticed within 20–30 s. */
export const HEARTBEAT = { pingInterval: 10_000, pingTimeout: 10_000 } as const;

/** Options of {@link createImServer}. */
export interface ImServerOptions {
  /** Directory of the SQLite database (created if absent). */
  dataDir: string;
  /** Interface to bind; default `0.0.0.0`. */
  host?: string;
  /** Port; `0` picks a free one. Default 7420. */
  port?: number;
  /** Retry policy served at `/api/config`. */
  clientPolicy?: ClientPolicy;
  /**
   * Who may create an account: `open` (anyone who reaches the port), `invite`
   * (the first account on an empty server, then only with an invite), or
   * `closed`. Default `invite`.
   */
  registration?: RegistrationMode;
  /** Password hashing cost; OWASP's scrypt parameters unless overridden. */
  scrypt?: ScryptParams;
  /** How many password hashes may run at once. */
  hashConcurrency?: number;
  /** How many password hashes may wait; beyond it sign-ins get 503 `unavailable`. Default 32. */
  hashQueue?: number;
  /** A password hasher to use instead of a new one (tests count its derivations). */
  passwordHasher?: PasswordHasher;
  /** Sign-in throttling and registrations per address (defaults for what is left out). */
  loginLimits?: Partial<LoginLimits>;
  /** Messages per second per user, bursts of 10× (default 30; 0 = no limit, for benchmarks). */
  rateLimit?: number;
  /** Live connections per user (default 20; 0 = no limit). */
  maxConnectionsPerUser?: number;
  /** Unanswered requests per connection (default 64; 0 = no limit). */
  maxInFlight?: number;
  /** Undelivered direct messages a recipient may have waiting (default 2,000; 0 = no limit). */
  inboxQuota?: number;
  /** The clock of the limits (tests move it instead of sleeping). Default `Date.now`. */
  clock?: Clock;
  /** Directory with the web client's build, served at `/`. */
  webRoot?: string;
  /** Origins other than the server's own allowed by CORS; default: the desktop app's. */
  corsOrigins?: string[];
  /** A logger, or a level for a new one on stderr. Default `silent`. */
  logger?: Logger | string;
  /** Delete messages older than this many days (default: keep them). */
  retentionDays?: number;
  /** Oldest protocol version clients may speak (default 1: wire-v1 clients welcome). */
  minProtocol?: number;
}

/** A running im-server. */
export interface ImServer {
  /** `http://host:port` as bound. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops accepting, finishes in-flight writes, closes the store. */
  close(): Promise<void>;
  /** The retention job, when `retentionDays` is set (tests run it by hand). */
  retention?: RetentionJob;
}

/** Starts an im-server; nothing happens until this is called. */
export async function createImServer(options: ImServerOptions): Promise<ImServer> {
  const log =
    typeof options.logger === 'object' ? options.logger : createLogger(options.logger ?? 'silent');
  const clock = options.clock ?? Date.now;
  const rateLimit = options.rateLimit ?? DEFAULT_LIMITS.rateLimit;
  if (!(rateLimit >= 0)) throw new Error(`rateLimit must be 0 or more, got ${rateLimit}`);
  const store = new Store(options.dataDir);
  const commit = new GroupCommit(store.db);
  const hasher =
    options.passwordHasher ??
    new PasswordHasher(options.scrypt ?? OWASP_SCRYPT, {
      concurrency: options.hashConcurrency ?? 2,
      maxQueue: options.hashQueue ?? DEFAULT_LIMITS.hashQueue,
    });
  const accounts = new Accounts(
    store,
    hasher,
    new LoginLimiter(options.loginLimits, clock),
    options.registration ?? 'invite',
  );
  const limits = new MessageLimits(
    store.db,
    rateLimit > 0 ? new TokenBuckets(rateLimit, rateLimit * 10, clock) : undefined,
    new InboxQuota(store.db, options.inboxQuota ?? DEFAULT_LIMITS.inboxQuota, clock),
  );
  const clientPolicy = options.clientPolicy ?? DEFAULT_CLIENT_POLICY;
  const corsOrigins = options.corsOrigins ?? [DESKTOP_APP_ORIGIN];

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_HTTP_BODY_BYTES,
    forceCloseConnections: true,
  });
  if (corsOrigins.length > 0) {
    const cors = (await import('@fastify/cors')).default;
    await app.register(cors, { origin: corsOrigins });
  }

  // Presence changes only happen on connections, after `io` exists.
  const presence = new Presence((changes) => {
    io.to(PRESENCE_ROOM).emit('presence:N', { changes });
  });
  await registerHttp(app, {
    accounts,
    store,
    commit,
    presence,
    clientPolicy,
    webRoot: options.webRoot,
    onSignedOut: (deviceId) => io.in(deviceRoom(deviceId)).disconnectSockets(true),
    deviceOnline: (deviceId) => (io.of('/').adapter.rooms.get(deviceRoom(deviceId))?.size ?? 0) > 0,
  });

  const io: ImIo = new Server(app.server, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    ...HEARTBEAT,
    cors: corsOrigins.length > 0 ? { origin: corsOrigins } : undefined,
    serveClient: false,
  });
  const pushes = new Pushes(io);
  const receipts = new Receipts(
    store.db,
    (userId) => presence.isOnline(userId),
    (sender, packet) => pushes.receipt(sender, packet),
  );
  const groups = new Groups(store.db, store);
  attachRealtime(io, {
    accounts,
    store,
    groups,
    receipts,
    pushes,
    commit,
    presence,
    log,
    minProtocol: options.minProtocol,
    limits,
    maxInFlight: options.maxInFlight ?? DEFAULT_LIMITS.maxInFlight,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? DEFAULT_LIMITS.maxConnectionsPerUser,
  });
  const retention =
    options.retentionDays === undefined
      ? undefined
      : new RetentionJob(store, commit, log, options.retentionDays);

  try {
    await app.listen({ host: options.host ?? '0.0.0.0', port: options.port ?? 7420 });
  } catch (error) {
    io.close();
    store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 7420);
  const host = options.host ?? '0.0.0.0';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port }, 'listening');
  retention?.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Close every connection (clients see a transport close and will
      // reconnect to the next server), let queued writes commit, then close.
      presence.stop();
      receipts.stop();
      await retention?.stop();
      commit.flush();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await app.close().catch(() => undefined);
      commit.flush();
      store.close();
      log.info('closed');
    })();
    return closing;
  };

  return { url: `http://${urlHost}:${port}`, port, close, retention };
}
