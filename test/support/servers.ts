import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImServer, type ImServer, type ImServerOptions } from '../../server';

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'tickline-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Cheaper scrypt for tests that create many accounts (auth tests use the real cost). */
export const FAST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 };

/** Messages per second per user in tests (the production default is 30). */
export const TEST_RATE_LIMIT = 10_000;
/** Requests in flight per connection in tests: raw-socket tests fire hundreds at once (default 64). */
export const TEST_MAX_IN_FLIGHT = 10_000;

/**
 * Starts an in-process im-server on 127.0.0.1, port 0, with a fresh data dir.
 * Tests send hundreds of messages at once and register many people from one
 * address in seconds, so the message rate and requests in flight are high and
 * registrations are not limited unless a test asks; every other limit keeps
 * its production default. It speaks plain http and does not advertise itself
 * on the LAN unless a test asks.
 */
export async function startServer(
  options: Partial<ImServerOptions> = {},
): Promise<ImServer & { dataDir: string }> {
  const tmp = options.dataDir ? undefined : tempDir();
  const dataDir = options.dataDir ?? tmp!.dir;
  const server = await createImServer({
    host: '127.0.0.1',
    port: 0,
    scrypt: FAST_SCRYPT,
    clientPolicy: { ackTimeoutMs: 200, maxAttempts: 4 },
    rateLimit: TEST_RATE_LIMIT,
    maxInFlight: TEST_MAX_IN_FLIGHT,
    registration: 'open',
    // Plain http and no mDNS: TLS and discovery have tests of their own.
    tls: 'off',
    discovery: false,
    ...options,
    loginLimits: { registrationBurst: 0, ...options.loginLimits },
    dataDir,
  });
  return {
    ...server,
    dataDir,
    close: async () => {
      await server.close();
      tmp?.remove();
    },
  };
}
