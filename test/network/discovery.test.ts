/**
 * LAN discovery between two network namespaces (two computers on one link):
 * a server advertising `_tickline._tcp` in one, `browseServers` in the other.
 * No mDNS packet leaves the pair.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Service } from 'bonjour-service';
import { PROTOCOL_VERSION } from '../../protocol';
import { toDiscovered } from '../../server/discovery';
import { createLanPair, type LanPair, networkTestsRun } from '../support/netns';

const runs = networkTestsRun('the LAN discovery tests (test/network/discovery.test.ts)');

/** How long a browse waits for what must not come (a found server arrives within about a second). */
const ABSENT_MS = 5_000;

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
