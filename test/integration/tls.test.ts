import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { get } from 'node:http';
import path from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Session } from '../../protocol';
import {
  certificateFingerprint,
  createSelfSigned,
  shortFingerprint,
  TLS_FILES,
} from '../../server/tls';
import { startChildServer, type ChildServer } from '../support/childServer';
import { tempDir } from '../support/servers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FAST_HASH = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };
/** The CLI's own defaults (TLS auto), but for registration and LAN advertising. */
const BASE = ['--host', '127.0.0.1', '--port', '0', '--registration', 'open', '--discovery', 'off'];

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** The certificate a TLS server at `url` presents (no verification: we only look at it). */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      },
    );
    socket.once('error', reject);
  });
}

/** POSTs JSON over https trusting only `ca`; status and parsed body. */
function postJson(
  url: string,
  body: unknown,
  ca: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca,
      headers: { 'content-type': 'application/json' },
    });
    req.once('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A wss Socket.IO connection that trusts only `ca` (the server's certificate: pinned). */
function pinnedSocket(url: string, token: string, ca: string): Promise<Socket> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ca,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

describe('TLS', () => {
  const tmp = tempDir();
  const servers: ChildServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.kill();
    tmp.remove();
  });
  const start = async (args: string[]) => {
    const server = await startChildServer(args, FAST_HASH, { defaults: [] });
    servers.push(server);
    return server;
  };

  it('is on by default: https with a new certificate whose printed fingerprint is the served one, kept 0600 and reused after a restart', async () => {
    const data = path.join(tmp.dir, 'auto');
    const first = await start([...BASE, '--data', data]);
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(first.fingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    const served = await servedCertificate(first.url);
    expect(certificateFingerprint(served.raw)).toBe(first.fingerprint);
    expect(served.fingerprint256).toBe(first.fingerprint);
    // ECDSA P-256, valid for the address it was reached on.
    expect(served.asn1Curve).toBe('prime256v1');
    expect(served.subjectaltname).toContain('IP Address:127.0.0.1');
    expect(served.subjectaltname).toContain('DNS:localhost');
    const certPem = readFileSync(path.join(data, TLS_FILES.cert), 'utf8');
    expect(certificateFingerprint(certPem)).toBe(first.fingerprint);
    for (const file of Object.values(TLS_FILES)) {
      expect(statSync(path.join(data, file)).mode & 0o777).toBe(0o600);
    }
    expect(await first.stop()).toBe(0);

    // Left readable by a copy or an older version: private again at the next start.
    for (const file of Object.values(TLS_FILES)) chmodSync(path.join(data, file), 0o644);
    const again = await start([...BASE, '--data', data]);
    expect(again.fingerprint).toBe(first.fingerprint);
    for (const file of Object.values(TLS_FILES)) {
      expect([file, statSync(path.join(data, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
    expect(readFileSync(path.join(data, TLS_FILES.cert), 'utf8')).toBe(certPem);
    expect(certificateFingerprint((await servedCertificate(again.url)).raw)).toBe(
      first.fingerprint,
    );

    // Plain http to the TLS port gets no HTTP answer.
    const plain = again.url.replace('https:', 'http:');
    const outcome = await new Promise<string>((resolve) => {
      const req = get(`${plain}/healthz`, (res) => resolve(`answered ${res.statusCode}`));
      req.once('error', (error) => resolve(`error ${error.message}`));
    });
    expect(outcome).toMatch(/^error /);
    expect(await again.stop()).toBe(0);
  });

  it('carries a message round trip over wss with the certificate pinned, and refuses an unpinned client', async () => {
    const data = path.join(tmp.dir, 'wss');
    const server = await start([...BASE, '--data', data]);
    const ca = readFileSync(path.join(data, TLS_FILES.cert), 'utf8');
    const register = async (username: string) => {
      const r = await postJson(
        `${server.url}/api/register`,
        { username, password: 'correct horse battery' },
        ca,
      );
      expect(r.status).toBe(201);
      return r.body as Session;
    };
    const alice = await register('alice');
    const bob = await register('bob');
    const a = await pinnedSocket(server.url, alice.token, ca);
    const b = await pinnedSocket(server.url, bob.token, ca);
    const pushed = new Promise<{ id: string; body: string }>((resolve) =>
      b.once('msg:N', (packet: { id: string; body: string }) => resolve(packet)),
    );
    const answer = await a
      .timeout(5_000)
      .emitWithAck('msg:R', { id: 'over-tls', to: bob.userId, body: 'encrypted hello' });
    expect(answer).toMatchObject({ ok: true });
    expect(await pushed).toMatchObject({ id: 'over-tls', body: 'encrypted hello' });
    a.close();
    b.close();

    // Another certificate pinned (an impostor's view): the handshake is refused.
    const other = await createSelfSigned({ dns: ['localhost'], ips: ['127.0.0.1'] });
    await expect(pinnedSocket(server.url, alice.token, other.cert)).rejects.toThrow();
    expect(await server.stop()).toBe(0);
  });

  it('serves the certificate given with --tls-cert/--tls-key', async () => {
    const dir = path.join(tmp.dir, 'given');
    const pair = await createSelfSigned({ dns: ['localhost'], ips: ['127.0.0.1'] });
    const certFile = path.join(tmp.dir, 'given-cert.pem');
    const keyFile = path.join(tmp.dir, 'given-key.pem');
    writeFileSync(certFile, pair.cert);
    writeFileSync(keyFile, pair.key);
    const server = await start([
      ...BASE,
      '--data',
      dir,
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
    ]);
    expect(server.fingerprint).toBe(certificateFingerprint(pair.cert));
    expect(certificateFingerprint((await servedCertificate(server.url)).raw)).toBe(
      server.fingerprint,
    );
    expect(await server.stop()).toBe(0);
  });

  it('refuses missing, unreadable or mismatched certificate files with one line and exit 1', async () => {
    const one = await createSelfSigned({ dns: ['localhost'], ips: [] });
    const two = await createSelfSigned({ dns: ['localhost'], ips: [] });
    const cert = path.join(tmp.dir, 'one-cert.pem');
    const key = path.join(tmp.dir, 'two-key.pem');
    const junk = path.join(tmp.dir, 'junk.pem');
    writeFileSync(cert, one.cert);
    writeFileSync(key, two.key);
    writeFileSync(junk, 'not a certificate');
    const data = ['--data', path.join(tmp.dir, 'refused')];
    const cases: [string[], string][] = [
      [['--tls-cert', cert, '--tls-key', key], 'and the key do not belong together'],
      [
        ['--tls-cert', path.join(tmp.dir, 'absent.pem'), '--tls-key', key],
        'cannot read the certificate',
      ],
      [['--tls-cert', junk, '--tls-key', key], 'is not a PEM certificate'],
      [['--tls-cert', cert, '--tls-key', junk], 'is not a PEM private key'],
    ];
    for (const [args, message] of cases) {
      const r = runCli([...BASE, ...data, ...args]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^tickline: .+\n$/);
      expect(r.stderr).toContain(message);
    }
    // Command-line mistakes get the usage text.
    for (const [args, message] of [
      [['--tls-cert', cert], '--tls-cert and --tls-key go together'],
      [['--tls', 'maybe'], '--tls must be auto or off'],
      [['--tls', 'off', '--tls-cert', cert, '--tls-key', key], '--tls off cannot be used'],
    ] as const) {
      const r = runCli([...BASE, ...data, ...args]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('usage:');
    }
  });

  it('a key left without its certificate (a start stopped halfway) is replaced; a certificate without its key stops the start', async () => {
    const data = path.join(tmp.dir, 'halfway');
    const first = await start([...BASE, '--data', data]);
    expect(await first.stop()).toBe(0);
    const keyFile = path.join(data, TLS_FILES.key);
    const certFile = path.join(data, TLS_FILES.cert);
    const oldKey = readFileSync(keyFile, 'utf8');
    const oldCert = readFileSync(certFile, 'utf8');
    // Key only: a new pair is made.
    rmSync(certFile);
    const second = await start([...BASE, '--data', data]);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKey);
    expect(await second.stop()).toBe(0);
    // Certificate only: refused, nothing replaced.
    rmSync(keyFile);
    writeFileSync(certFile, oldCert);
    const r = runCli([...BASE, '--data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('has no key beside it');
    expect(readFileSync(certFile, 'utf8')).toBe(oldCert);
  });

  it('shortFingerprint: the first 8 bytes in four groups of four', () => {
    const fp = 'AB:12:CD:34:EF:56:78:90:' + Array(24).fill('00').join(':');
    expect(shortFingerprint(fp)).toBe('AB12 CD34 EF56 7890');
    expect(shortFingerprint(fp.toLowerCase())).toBe('AB12 CD34 EF56 7890');
    expect(() => shortFingerprint('AB:CD')).toThrow('not a fingerprint');
  });
});
