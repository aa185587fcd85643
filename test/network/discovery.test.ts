/**
 * LAN discovery between two network namespaces (two computers on one link):
 * a server advertising `_tickline._tcp` in one, `browseServers` in the other.
 * No mDNS packet leaves the pair. A server is announced only once its first
 * account (the admin) exists (issue 21), so each test creates it first.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Service } from 'bonjour-service';
import { PROTOCOL_VERSION } from '../../protocol';
import { toDiscovered } from '../../server/discovery';
import type { ChildServer } from '../support/childServer';
import { createLanPair, type LanPair, networkTestsRun } from '../support/netns';

const runs = networkTestsRun('the LAN discovery tests (test/network/discovery.test.ts)');

/** How long a browse waits for what must not come (a found server arrives within about a second). */
const ABSENT_MS = 5_000;

/** Creates an account on `server` from the client's computer of `lan`; the answer's status. */
async function registerFrom(
  lan: LanPair,
  server: ChildServer,
  body: Record<string, unknown> = {},
): Promise<number> {
  const post = `const r = await fetch(process.argv[1], { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: process.argv[2] });
    console.log(r.status);`;
  const account = { username: 'owner', password: 'correct horse battery', ...body };
  const { stdout } = await promisify(execFile)(
    'ip',
    [
      ...['netns', 'exec', lan.clientNs, process.execPath, '--input-type=module', '-e', post],
      ...[`${server.url}/api/register`, JSON.stringify(account)],
    ],
    // The server's own self-signed certificate: this is about discovery, not TLS.
    { env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' }, timeout: 30_000 },
  );
  return Number(stdout.trim());
}

describe.runIf(runs)('LAN discovery (mDNS / DNS-SD)', () => {
  let lan: LanPair;
  beforeAll(() => {
    lan = createLanPair();
  });
  afterAll(async () => {
    await lan?.destroy();
  });

  test('a server with discovery off is not found', async () => {
    // CHILD_DEFAULT_ARGS turn discovery off: this is that default, said again.
    const hidden = await lan.startServer([
      '--tls',
      'auto',
      '--name',
      'hidden',
      '--discovery',
      'off',
    ]);
    expect(await registerFrom(lan, hidden)).toBe(201);
    const { servers, timedOut } = await lan.browse((list) => list.length > 0, ABSENT_MS);
    expect(timedOut).toBe(true);
    expect(servers).toEqual([]);
    await hidden.stop();
  });

  test('the other computer finds the server: name, address, port, protocol and fingerprint', async () => {
    const server = await lan.startServer([
      '--tls',
      'auto',
      '--name',
      'Office chat',
      '--discovery',
      'on',
    ]);
    expect(server.fingerprint).toBeDefined();
    expect(await registerFrom(lan, server)).toBe(201);
    const { servers, timedOut } = await lan.browse(
      (list) => list.some((s) => s.name === 'Office chat'),
      20_000,
    );
    expect(timedOut).toBe(false);
    expect(servers).toEqual([
      {
        name: 'Office chat',
        host: lan.serverIp,
        port: server.port,
        url: `https://${lan.serverIp}:${server.port}`,
        protocol: PROTOCOL_VERSION,
        fingerprint: server.fingerprint,
        tls: true,
      },
    ]);
    // What was found is the server: reachable from there, with that certificate.
    const probe = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        lan.clientNs,
        'openssl',
        's_client',
        '-connect',
        `${lan.serverIp}:${server.port}`,
      ],
      { input: '', encoding: 'utf8', timeout: 10_000 },
    );
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(
      probe.stdout,
    )?.[0];
    expect(pem, probe.stderr).toBeDefined();
    const { certificateFingerprint } = await import('../../server/tls');
    expect(certificateFingerprint(pem!)).toBe(server.fingerprint);
    await server.stop();
  });

  test('a server without TLS advertises tls=0 and no fingerprint; its goodbye on shutdown removes it', async () => {
    const server = await lan.startServer(['--name', 'plain', '--discovery', 'on']);
    expect(await registerFrom(lan, server)).toBe(201);
    const expected = {
      name: 'plain',
      host: lan.serverIp,
      port: server.port,
      url: `http://${lan.serverIp}:${server.port}`,
      protocol: PROTOCOL_VERSION,
      tls: false,
    };
    const seen: unknown[] = [];
    let stopped: Promise<number | null> | undefined;
    const { timedOut, servers } = await lan.browse((list) => {
      seen.push(list);
      // Found: stop the server (SIGTERM); done once its goodbye took it off the list.
      if (list.some((s) => s.name === 'plain')) stopped ??= server.stop();
      return stopped !== undefined && list.length === 0;
    }, 20_000);
    expect(timedOut).toBe(false);
    expect(servers).toEqual([]);
    expect(seen).toContainEqual([expected]);
    expect(await stopped).toBe(0);
  });
});

describe.runIf(runs)('LAN discovery of a server nobody owns yet', () => {
  let lan: LanPair;
  beforeAll(() => {
    lan = createLanPair();
  });
  afterAll(async () => {
    await lan?.destroy();
  });

  test('is not announced until the first account (the admin) exists, then is, without a restart', async () => {
    const server = await lan.startServer([
      ...['--name', 'fresh', '--discovery', 'on', '--registration', 'invite'],
    ]);
    expect(server.setupCode).toBeDefined();
    const before = await lan.browse((list) => list.length > 0, ABSENT_MS);
    expect(before).toEqual({ servers: [], timedOut: true });
    // The owner creates the admin from the other computer, with the printed code.
    const status = await registerFrom(lan, server, { setupCode: server.setupCode });
    expect(status).toBe(201);
    const after = await lan.browse((list) => list.some((s) => s.name === 'fresh'), 20_000);
    expect(after.timedOut).toBe(false);
    expect(after.servers).toMatchObject([{ name: 'fresh', port: server.port }]);
    expect(await server.stop()).toBe(0);
  });
});

describe('toDiscovered: what an answer must hold to be listed', () => {
  const fp = Array(32).fill('AB').join(':');
  const answer = (txt: Record<string, string>, extra: Partial<Service> = {}) =>
    ({
      name: 'x',
      fqdn: 'x._tickline._tcp.local',
      port: 7420,
      txt,
      addresses: ['192.168.1.20', 'fe80::1'],
      referer: { address: '192.168.1.20', family: 'IPv4', port: 5353, size: 100 },
      ...extra,
    }) as Service;

  test('a well-formed answer: the address it came from, https with the fingerprint', () => {
    expect(toDiscovered(answer({ name: 'Office', proto: '2', tls: '1', fp }))).toEqual({
      name: 'Office',
      host: '192.168.1.20',
      port: 7420,
      url: 'https://192.168.1.20:7420',
      protocol: 2,
      fingerprint: fp,
      tls: true,
    });
  });

  test('malformed TXT records and ports are ignored', () => {
    for (const txt of <Record<string, string>[]>[
      { name: 'Office', proto: '2', tls: '1' }, // TLS without a fingerprint
      { name: 'Office', proto: '2', tls: '1', fp: 'AB:CD' },
      { name: 'Office', proto: 'two', tls: '0' },
      { name: '', proto: '2', tls: '0' },
      { proto: '2', tls: '0' },
      { name: 'Office', proto: '2', tls: 'yes' },
    ]) {
      expect(toDiscovered(answer(txt)), JSON.stringify(txt)).toBeUndefined();
    }
    expect(toDiscovered(answer({ name: 'a', proto: '2', tls: '0' }, { port: 0 }))).toBeUndefined();
  });
});
