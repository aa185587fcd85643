/**
 * Benchmarks measure the server's own capacity, so the limits that keep one
 * user from hurting the others (which a benchmark's few senders would hit at
 * once) are turned off or raised: messages per second, requests in flight,
 * inbox quota, registrations per address, and the password-hash queue (the
 * benchmarks register users 50 at a time). Anyone may register (the
 * benchmarks create their own people). Plain http, as the bare Socket.IO
 * relay they are compared with (like with like), and no LAN advertising.
 */
export const UNLIMITED_ARGS = [
  '--rate-limit',
  '0',
  '--max-in-flight',
  '0',
  '--inbox-quota',
  '0',
  '--registrations-per-address',
  '0',
  '--hash-queue',
  '10000',
  '--registration',
  'open',
  '--tls',
  'off',
  '--discovery',
  'off',
] as const;

/** {@link UNLIMITED_ARGS} as `createImServer` options. */
export const UNLIMITED_OPTIONS = {
  rateLimit: 0,
  maxInFlight: 0,
  inboxQuota: 0,
  loginLimits: { registrationBurst: 0 },
  hashQueue: 10_000,
  registration: 'open',
  tls: 'off',
  discovery: false,
} as const;
