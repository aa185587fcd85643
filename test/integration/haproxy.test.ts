import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../server/dataDir';
import { createSelfSigned } from '../../server/tls';
import { startChildServer, type ChildServer } from '../support/childServer';
import { newUser } from '../support/clients';
import { freePort } from '../support/ports';
import { tempDir } from '../support/servers';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = path.join(ROOT, 'deploy/haproxy.cfg');
const HAPROXY = '/usr/sbin/haproxy';

/** GET `url` over https trusting only `ca`; resolves with the status and body. */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Resolves once `check` holds, asking again after each answer; rejects after `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * deploy/haproxy.cfg, as shipped, in front of a node: TLS ends at HAProxy,
 * chat runs over WebSocket through it, and the node leaves the pool while
 * its `/readyz` fails (its database takes no writes) and comes back after.
 */
describe('the front door (deploy/haproxy.cfg)', () => {
  const tmp = tempDir();
  let node: ChildServer;
  let haproxy: ChildProcess;
  let front: string;
  let cert: string;
  let haproxyLog = '';

  beforeAll(async () => {
    if (!existsSync(HAPROXY)) {
      throw new Error(`HAProxy is not at ${HAPROXY}: install Debian's haproxy (.ci/run does)`);
    }
    node = await startChildServer([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      tmp.dir,
      '--trust-proxy',
      '127.0.0.1',
    ]);
    const pair = await createSelfSigned({ dns: ['localhost'], ips: ['127.0.0.1'] });
    cert = pair.cert;
    const pem = path.join(tmp.dir, 'haproxy.pem');
    writeFileSync(pem, `${pair.cert}\n${pair.key}\n`, { mode: 0o600 });
    const port = await freePort();
    front = `https://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      TICKLINE_BIND: `127.0.0.1:${port}`,
      TICKLINE_CERT: pem,
      TICKLINE_NODE1: `127.0.0.1:${node.port}`,
    };
    // The file as shipped is valid.
    await run(HAPROXY, ['-c', '-q', '-f', CONFIG], { env });
    haproxy = spawn(HAPROXY, ['-db', '-f', CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    haproxy.stderr!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    await eventually(
      'the node answers through HAProxy',
      async () => (await get(`${front}/healthz`, cert)).status === 200,
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    await node?.stop();
    tmp.remove();
  });

  /** A protocol-2 WebSocket through the front door, trusting its certificate. */
  const connect = (token: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(front, {
        auth: { token, protocol: 2 },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        ca: cert,
      });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });

  it('carries chat over WebSocket, and takes the node out while its database takes no writes', async () => {
    const alice = await newUser(node.url, 'alice');
    const bob = await newUser(node.url, 'bob');
    const a = await connect(alice.token);
    const b = await connect(bob.token);
    const pushed = new Promise<{ body: string }>((resolve) => b.once('msg:N', resolve));
    const stored = await a
      .timeout(10_000)
      .emitWithAck('msg:R', { id: 'm1', to: bob.userId, body: 'through the front door' });
    expect(stored).toMatchObject({ ok: true, seq: 1 });
    expect((await pushed).body).toBe('through the front door');
    expect((await get(`${front}/readyz`, cert)).body).toContain('"ok":true');

    // The node's database takes no writes: another connection holds its write lock.
    const blocker = new Database(path.join(tmp.dir, DATABASE_FILE));
    blocker.exec('BEGIN IMMEDIATE');
    const dropped = new Promise((resolve) => b.once('disconnect', resolve));
    try {
      const direct = await fetch(`${node.url}/readyz`);
      expect(direct.status).toBe(503);
      expect(await direct.json()).toMatchObject({ ok: false, migrations: 'current' });
      // HAProxy sees it (two failed checks), closes the node's connections, answers 503.
      await dropped;
      await eventually(
        'HAProxy answers 503 while no node is ready',
        async () => (await get(`${front}/healthz`, cert)).status === 503,
        30_000,
      );
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    // Writes get through again: the node is back in the pool, chat resumes.
    await eventually(
      'the node is back behind HAProxy',
      async () => (await get(`${front}/healthz`, cert)).status === 200,
      30_000,
    );
    // Both were cut when the node left the pool; they come back through the proxy.
    a.close();
    const alice2 = await connect(alice.token);
    const bob2 = await connect(bob.token);
    const next = new Promise<{ body: string }>((resolve) => bob2.once('msg:N', resolve));
    const back = await alice2
      .timeout(10_000)
      .emitWithAck('msg:R', { id: 'm2', to: bob.userId, body: 'back' });
    expect(back, haproxyLog).toMatchObject({ ok: true, seq: 2 });
    expect((await next).body).toBe('back');
    alice2.close();
    bob2.close();
  });
});
