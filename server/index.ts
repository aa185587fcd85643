import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import {
  DEFAULT_CLIENT_POLICY,
  deviceRoom,
  DESKTOP_APP_ORIGIN,
  MAX_FRAME_BYTES,
  MAX_HTTP_BODY_BYTES,
  PROTOCOL_VERSION,
  type ClientPolicy,
} from '../protocol';
import { Accounts, type RegistrationMode } from './accounts';
import { advertise, type Advertise, type Advertised } from './discovery';
import { coalesceWrites } from './coalesce';
import { StoreWriter } from './storeWriter';
import { registerHttp } from './http';
import { createLogger } from './logger';
import { InboxQuota } from './inboxQuota';
import { LoginLimiter, type LoginLimits } from './loginLimiter';
import { Budgets } from './budgets';
import { MessageLimits } from './messageLimits';
import { OWASP_SCRYPT, PasswordHasher, type ScryptParams } from './passwords';
import { Groups } from './groups';
import { Presence } from './presence';
import { Pushes } from './pushes';
import { Receipts } from './receipts';
import { attachRealtime, PRESENCE_ROOM } from './realtime';
import type { ImIo } from './realtimeTypes';
import { RetentionJob } from './retention';
import { Store } from './store';
import { checkPair, certificateFingerprint, loadOrCreateCertificate, type TlsPair } from './tls';
import { TokenBuckets, type Clock } from './tokenBucket';
import { HostAllowList, registerWebSecurity, socketGuard } from './webSecurity';

/** Defaults of the limits that keep one user from hurting the others. */
export const DEFAULT_LIMITS = {
  /** Messages per second per user (a burst of ten times as many is allowed). */
  rateLimit: 30,
  /** Live connections per user. */
  maxConnectionsPerUser: 20,
  /** Requests in flight per connection (until their answers have left the server). */
  maxInFlight: 64,
  /** Output a connection's client may leave untaken before it is closed: 4 pages (4 MiB). */
  maxUnsentBytes: 4 * 1024 * 1024,
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
  /**
   * The store writer's worker script, where it is not next to the server's
   * module (a bundle: the desktop app passes its `writerWorker.js`).
   */
  writerScript?: string;
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
  /** How long a session lasts after its last use, ms; default 30 days, at most 90. */
  sessionTtlMs?: number;
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
  /** Requests in flight per connection, until their answers have left the server (default 64; 0 = no limit). */
  maxInFlight?: number;
  /** Bytes a connection's client may leave untaken before it is closed (default 4 MiB; 0 = no limit). */
  maxUnsentBytes?: number;
  /**
   * The longest a live connection goes without its session being checked
   * again (default one hour; tests use less). A session's expiry closes its
   * connections at that moment anyway; the check also sees a clock moved.
   */
  sessionCheckMs?: number;
  /** Undelivered direct messages a recipient may have waiting (default 2,000; 0 = no limit). */
  inboxQuota?: number;
  /** The clock of the limits and of session expiry (tests move it instead of sleeping). Default `Date.now`. */
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
  /**
   * TLS: `auto` (default) makes a self-signed ECDSA P-256 certificate in the
   * data directory on first start and reuses it; `off` is plain HTTP (behind
   * a reverse proxy that terminates TLS); or a PEM certificate and key.
   */
  tls?: 'auto' | 'off' | TlsPair;
  /**
   * Host names requests may be addressed to besides this machine's own (its
   * addresses, `localhost`, its host name, `HOST.local` and `host`), e.g. a
   * DNS name people use; others get 421. `['*']` accepts any (a reverse
   * proxy checks the name).
   */
  allowedHosts?: string[];
  /** The name advertised on the LAN; default: the host name. */
  name?: string;
  /**
   * Advertise `_tickline._tcp` with mDNS on the LAN, once the server's first
   * account (its admin) exists. Default true.
   */
  discovery?: boolean;
  /**
   * Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names
   * the client: the address sign-ins and registrations are throttled by.
   * Default none: the connection's own address, whatever a header says.
   */
  trustProxy?: string[];
  /** What advertises (default: mDNS with `bonjour-service`; tests watch it instead). */
  advertise?: Advertise;
}

/** A running im-server. */
export interface ImServer {
  /** `https://host:port` as bound (`http://` with `tls: 'off'`). */
  url: string;
  /** SHA-256 fingerprint of the certificate (`AB:CD:…`, 32 bytes), when TLS is on. */
  fingerprint?: string;
  /** The bound port. */
  port: number;
  /**
   * The one-time setup code made at start when the server has no account and
   * registration is not `open` (the server keeps only its hash): the first
   * account needs it, and it stops working once that account exists.
   */
  setupCode?: string;
  /** Stops accepting, finishes in-flight writes, closes the store. */
  close(): Promise<void>;
  /** The retention job, when `retentionDays` is set (tests run it by hand). */
  retention?: RetentionJob;
  /**
   * Resolves once every write submitted so far has committed (writes nobody
   * waits for, such as a session's sliding expiry or a device's last-seen
   * time, included).
   */
  flushWrites(): Promise<void>;
}

/** Starts an im-server; nothing happens until this is called. */
export async function createImServer(options: ImServerOptions): Promise<ImServer> {
  const log =
    typeof options.logger === 'object' ? options.logger : createLogger(options.logger ?? 'silent');
  const clock = options.clock ?? Date.now;
  const rateLimit = options.rateLimit ?? DEFAULT_LIMITS.rateLimit;
  if (!(rateLimit >= 0)) throw new Error(`rateLimit must be 0 or more, got ${rateLimit}`);
  const store = new Store(options.dataDir);
  let writer: StoreWriter;
  try {
    writer = await StoreWriter.start(store.dir, {
      script: options.writerScript,
      onFatal: (error) => log.fatal({ err: error }, 'store writer failed: nothing can be stored'),
    });
  } catch (error) {
    store.close();
    throw error;
  }
  // From here on the main thread only reads: every write goes through the
  // writer, and SQLite refuses one made on this connection by mistake.
  store.db.pragma('query_only = ON');
  const hasher =
    options.passwordHasher ??
    new PasswordHasher(options.scrypt ?? OWASP_SCRYPT, {
      concurrency: options.hashConcurrency ?? 2,
      maxQueue: options.hashQueue ?? DEFAULT_LIMITS.hashQueue,
    });
  const accounts = new Accounts(
    store,
    writer,
    hasher,
    new LoginLimiter(options.loginLimits, clock),
    options.registration ?? 'invite',
    {
      sessionTtlMs: options.sessionTtlMs,
      clock: options.clock,
      onBackgroundError: (error) => log.error({ err: error }, 'session write failed'),
    },
  );
  // Every other per-user budget scales with the message rate (0: all off).
  const budgets = new Budgets(rateLimit / DEFAULT_LIMITS.rateLimit, clock);
  const setupCode = accounts.startSetup();
  accounts.onFirstAccount(() => {
    if (setupCode) log.info('the first account (the admin) exists: setup is done');
  });
  const limits = new MessageLimits(
    store.db,
    rateLimit > 0 ? new TokenBuckets(rateLimit, rateLimit * 10, clock) : undefined,
    new InboxQuota(store.db, options.inboxQuota ?? DEFAULT_LIMITS.inboxQuota, clock),
    budgets,
  );
  const clientPolicy = options.clientPolicy ?? DEFAULT_CLIENT_POLICY;
  const corsOrigins = options.corsOrigins ?? [DESKTOP_APP_ORIGIN];
  const host = options.host ?? '0.0.0.0';

  let tls: TlsPair | undefined;
  try {
    tls = await serverCertificate(options, host);
  } catch (error) {
    await writer.close();
    store.close();
    throw error;
  }
  const fingerprint = tls && certificateFingerprint(tls.cert);
  // Fastify's https and http instances differ only in the server type the routes never see.
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_HTTP_BODY_BYTES,
    forceCloseConnections: true,
    // A client's address is the connection's, or what a trusted reverse proxy
    // says in X-Forwarded-For (only from the addresses given, never from anyone).
    ...(options.trustProxy && options.trustProxy.length > 0
      ? { trustProxy: options.trustProxy }
      : {}),
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
  const web = {
    hosts: new HostAllowList(options.allowedHosts, host),
    corsOrigins,
    tls: tls !== undefined,
  };
  await registerWebSecurity(app, web);
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
    budgets,
    store,
    writer,
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
  io.engine.use(socketGuard(web));
  coalesceWrites(io);
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
    writer,
    presence,
    log,
    minProtocol: options.minProtocol,
    limits,
    budgets,
    maxInFlight: options.maxInFlight ?? DEFAULT_LIMITS.maxInFlight,
    maxUnsentBytes: options.maxUnsentBytes ?? DEFAULT_LIMITS.maxUnsentBytes,
    sessionCheckMs: options.sessionCheckMs ?? 3_600_000,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? DEFAULT_LIMITS.maxConnectionsPerUser,
  });
  const retention =
    options.retentionDays === undefined
      ? undefined
      : new RetentionJob(writer, log, options.retentionDays);

  try {
    await app.listen({ host, port: options.port ?? 7420 });
  } catch (error) {
    io.close();
    await writer.close();
    store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 7420);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port, tls: !!tls, fingerprint }, 'listening');
  retention?.start();
  if (setupCode) {
    log.warn('no account yet: the first one (the admin) needs the setup code shown at start');
  }
  let advertised: Advertised | undefined;
  let closed = false;
  const startAdvertising = () => {
    if (closed) return;
    try {
      advertised = (options.advertise ?? advertise)({
        name: options.name,
        port,
        protocol: PROTOCOL_VERSION,
        fingerprint,
        interface: host === '0.0.0.0' || host === '::' ? undefined : host,
        onError: (error) => log.warn({ err: error }, 'LAN discovery failed'),
      });
      log.info({ name: advertised.name }, 'advertised on the LAN');
    } catch (error) {
      // The server works without it: people type the address.
      log.warn({ err: error }, 'LAN discovery failed');
    }
  };
  if ((options.discovery ?? true) && !isLoopback(host)) {
    // A server nobody owns yet is not announced: whoever found it first could
    // take it. It is once the first account (the admin) exists, without a restart.
    accounts.onFirstAccount(startAdvertising);
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      closed = true;
      // Close every connection (clients see a transport close and will
      // reconnect to the next server), let queued writes commit, then close.
      await advertised?.stop();
      presence.stop();
      receipts.stop();
      await retention?.stop();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await app.close().catch(() => undefined);
      // Everything submitted commits before the worker stops.
      await writer.close();
      store.close();
      log.info('closed');
    })();
    return closing;
  };

  const url = `${tls ? 'https' : 'http'}://${urlHost}:${port}`;
  const flushWrites = async () => {
    await writer.barrier();
  };
  return {
    url,
    port,
    close,
    retention,
    flushWrites,
    ...(fingerprint ? { fingerprint } : {}),
    ...(setupCode ? { setupCode } : {}),
  };
}

/** True for a loopback address: nobody else could connect, so nothing is advertised. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The certificate to serve: none (`off`), the given one (checked), or the data directory's. */
async function serverCertificate(
  options: ImServerOptions,
  host: string,
): Promise<TlsPair | undefined> {
  const tls = options.tls ?? 'auto';
  if (tls === 'off') return undefined;
  if (tls === 'auto') {
    const { cert, key } = await loadOrCreateCertificate(options.dataDir, [host]);
    return { cert, key };
  }
  checkPair(tls);
  return tls;
}
