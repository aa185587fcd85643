import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  clientPolicySchema,
  DEFAULT_CLIENT_POLICY,
  DEFAULT_PORT,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '../protocol';
import { createImServer, DEFAULT_LIMITS } from './index';
import { DATA_DIR_ERROR } from './dataDir';
import { createLogger } from './logger';
import { DEFAULT_LOGIN_LIMITS } from './loginLimiter';
import { readPair, type TlsPair } from './tls';

const USAGE = `usage: npm run serve -- [--host H] [--port P] [--data DIR]
                          [--client-ack-timeout-ms N] [--client-max-attempts N]
                          [--registration open|invite|closed] [--session-days N]
                          [--retention-days N]
                          [--min-protocol N] [--log-level LEVEL]
                          [--rate-limit N] [--max-connections-per-user N]
                          [--max-in-flight N] [--inbox-quota N] [--hash-queue N]
                          [--registrations-per-address N]
                          [--tls auto|off] [--tls-cert FILE --tls-key FILE]
                          [--allowed-hosts H,H,...] [--name NAME] [--discovery on|off]

  --host H                    interface to bind (default 0.0.0.0)
  --port P                    port, 0 picks a free one (default 7420)
  --data DIR                  data directory, created (0700) if absent; its parent
                              must exist (default ./data)
  --client-ack-timeout-ms N   retry policy handed to clients (default 5000)
  --client-max-attempts N     retry policy handed to clients (default 5)
  --registration MODE         who may create an account: open (anyone), invite
                              (the first account, then invited people), closed
                              (default invite). Unless open, the first account
                              (the admin) needs the setup code printed at start
                              while the server has no account
  --closed-registration       the same as --registration closed
  --session-days N            a session ends N days (1-90) after its last use
                              (default 30)
  --retention-days N          delete messages older than N days (default: keep)
  --min-protocol N            refuse clients older than protocol N (default 1)
  --log-level LEVEL           pino level on stderr (default info)

security and LAN (docs/SECURITY.md):
  --tls auto|off              auto: https with a self-signed certificate made in the
                              data directory on first start and reused (default);
                              off: plain http, only behind a reverse proxy doing TLS
  --tls-cert FILE             serve this PEM certificate (chain) instead ...
  --tls-key FILE              ... with this PEM private key (both or neither)
  --allowed-hosts H,H,...     host names requests may use besides this machine's own
                              (its addresses, localhost, its host name, HOST.local,
                              --host), e.g. a DNS name; others get 421; '*' accepts
                              any (a reverse proxy checks the name)
  --name NAME                 the name shown to people finding the server on the LAN
                              (default: the host name)
  --discovery on|off          advertise _tickline._tcp with mDNS on the LAN (default on)
  --trust-proxy A,A,...       reverse proxies (addresses or CIDR ranges) whose
                              X-Forwarded-For names the client (default: none; sign-ins
                              are throttled by the connection's own address)

limits (0 turns one off; refusals carry retryAfterMs, see docs/PROTOCOL.md "Limits"):
  --rate-limit N                 messages per second per user, bursts of 10x (default 30)
  --max-connections-per-user N   live connections per user (default 20)
  --max-in-flight N              unanswered requests per connection (default 64)
  --inbox-quota N                undelivered direct messages per recipient (default 2000)
  --hash-queue N                 password hashes waiting before 503 unavailable (default 32)
  --registrations-per-address N  registrations per address at once, then one
                                 per 2 minutes (default 30)`;

/** A mistake in the command line: answered with the usage text. */
class UsageError extends Error {}

/** True for an error about the command line (ours or node:util parseArgs'). */
function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * Tests and benchmarks that create thousands of accounts may lower the
 * scrypt cost with TICKLINE_INSECURE_SCRYPT_LOG2N (10–17). Never in production.
 */
function insecureScryptFromEnv() {
  const raw = process.env.TICKLINE_INSECURE_SCRYPT_LOG2N;
  if (!raw) return undefined;
  const log2n = intFlag('TICKLINE_INSECURE_SCRYPT_LOG2N', raw, 17, 10, 17);
  return { N: 2 ** log2n, r: 8, p: 1 };
}

/** `--tls`, `--tls-cert`, `--tls-key` as the `tls` option (files read and checked). */
function tlsFlags(
  mode: string | undefined,
  certFile: string | undefined,
  keyFile: string | undefined,
): 'auto' | 'off' | TlsPair {
  if (mode !== 'auto' && mode !== 'off') {
    throw new UsageError(`--tls must be auto or off, got "${mode}"`);
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  }
  if (certFile === undefined || keyFile === undefined) return mode;
  if (mode === 'off') throw new UsageError('--tls off cannot be used with --tls-cert/--tls-key');
  return readPair(certFile, keyFile);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '0.0.0.0' },
      port: { type: 'string' },
      data: { type: 'string', default: './data' },
      'client-ack-timeout-ms': { type: 'string' },
      'client-max-attempts': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'closed-registration': { type: 'boolean', default: false },
      registration: { type: 'string' },
      'session-days': { type: 'string' },
      'retention-days': { type: 'string' },
      'min-protocol': { type: 'string' },
      'rate-limit': { type: 'string' },
      'max-connections-per-user': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'inbox-quota': { type: 'string' },
      'hash-queue': { type: 'string' },
      'registrations-per-address': { type: 'string' },
      tls: { type: 'string', default: 'auto' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'trust-proxy': { type: 'string' },
      name: { type: 'string' },
      discovery: { type: 'string', default: 'on' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = intFlag('--port', values.port, DEFAULT_PORT, 0, 65535);
  const clientPolicy = clientPolicySchema.parse({
    ackTimeoutMs: intFlag(
      '--client-ack-timeout-ms',
      values['client-ack-timeout-ms'],
      DEFAULT_CLIENT_POLICY.ackTimeoutMs,
      1,
      600_000,
    ),
    maxAttempts: intFlag(
      '--client-max-attempts',
      values['client-max-attempts'],
      DEFAULT_CLIENT_POLICY.maxAttempts,
      1,
      100,
    ),
  });
  const registration = values.registration ?? (values['closed-registration'] ? 'closed' : 'invite');
  if (registration !== 'open' && registration !== 'invite' && registration !== 'closed') {
    throw new UsageError(`--registration must be open, invite or closed, got "${registration}"`);
  }
  const sessionTtlMs = intFlag('--session-days', values['session-days'], 30, 1, 90) * 86_400_000;
  const retentionDays =
    values['retention-days'] === undefined
      ? undefined
      : intFlag('--retention-days', values['retention-days'], 0, 1, 36_500);
  const minProtocol = intFlag(
    '--min-protocol',
    values['min-protocol'],
    MIN_PROTOCOL_VERSION,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
  );
  const limit = (name: keyof typeof values, fallback: number, max: number) =>
    intFlag(`--${name}`, values[name] as string | undefined, fallback, 0, max);
  const rateLimit = limit('rate-limit', DEFAULT_LIMITS.rateLimit, 1_000_000);
  const maxConnectionsPerUser = limit(
    'max-connections-per-user',
    DEFAULT_LIMITS.maxConnectionsPerUser,
    1_000_000,
  );
  const maxInFlight = limit('max-in-flight', DEFAULT_LIMITS.maxInFlight, 1_000_000);
  const inboxQuota = limit('inbox-quota', DEFAULT_LIMITS.inboxQuota, 1_000_000_000);
  const hashQueue = limit('hash-queue', DEFAULT_LIMITS.hashQueue, 100_000);
  const registrationBurst = limit(
    'registrations-per-address',
    DEFAULT_LOGIN_LIMITS.registrationBurst,
    1_000_000,
  );
  const tls = tlsFlags(values.tls, values['tls-cert'], values['tls-key']);
  if (values.discovery !== 'on' && values.discovery !== 'off') {
    throw new UsageError(`--discovery must be on or off, got "${values.discovery}"`);
  }
  const allowedHosts = values['allowed-hosts']
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (allowedHosts?.length === 0) {
    throw new UsageError(`--allowed-hosts needs at least one host name (or '*')`);
  }
  const trustProxy = values['trust-proxy']
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (
    trustProxy !== undefined &&
    (trustProxy.length === 0 || !trustProxy.every(isAddressOrRange))
  ) {
    throw new UsageError(
      '--trust-proxy needs IP addresses or CIDR ranges, e.g. 10.0.0.5,10.1.0.0/16',
    );
  }
  const name = values.name?.trim();
  if (name !== undefined && (name.length === 0 || Buffer.byteLength(name) > 63)) {
    throw new UsageError('--name must be 1 to 63 bytes');
  }
  const webRoot = fileURLToPath(new URL('../out/web', import.meta.url));
  const log = createLogger(values['log-level']);
  const scrypt = insecureScryptFromEnv();
  if (scrypt)
    log.warn(
      { N: scrypt.N },
      'TICKLINE_INSECURE_SCRYPT_LOG2N lowers password hashing cost (tests/benchmarks only)',
    );
  const server = await createImServer({
    host: values.host,
    port,
    dataDir: values.data,
    clientPolicy,
    registration,
    retentionDays,
    sessionTtlMs,
    minProtocol,
    webRoot: existsSync(webRoot) ? webRoot : undefined,
    logger: log,
    rateLimit,
    maxConnectionsPerUser,
    maxInFlight,
    inboxQuota,
    hashQueue,
    loginLimits: { registrationBurst },
    ...(scrypt ? { scrypt } : {}),
    tls,
    allowedHosts,
    trustProxy,
    name,
    discovery: values.discovery === 'on',
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Before the ready line, so that whoever waits for that line has it already.
  if (server.setupCode) process.stdout.write(`setup code: ${server.setupCode}\n`);
  // Only now, with the handlers in place: whoever waits for this line may stop us at once.
  process.stdout.write(`listening on ${server.url}\n`);
  if (server.fingerprint) {
    process.stdout.write(`certificate sha256 fingerprint: ${server.fingerprint}\n`);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (isUsageError(error)) {
    // A mistake in the command line: say what, then how to write it.
    process.stderr.write(`tickline: ${message}\n${USAGE}\n`);
  } else {
    // Anything else (data directory, database, port): one clear line.
    const hint =
      (error as { code?: string } | null)?.code === 'EADDRINUSE'
        ? ' (port already in use; pick another with --port)'
        : '';
    process.stderr.write(`tickline: ${message.split('\n')[0]}${hint}\n`);
  }
  // 78 (EX_CONFIG): the data directory needs an operator (in use, damaged,
  // not writable); service managers are told not to restart on it.
  process.exit((error as { code?: string } | null)?.code === DATA_DIR_ERROR ? 78 : 1);
});

/** An IP address, or one with a CIDR prefix length (`10.1.0.0/16`). */
function isAddressOrRange(text: string): boolean {
  const [address, bits, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}
