import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { newUser } from '../support/clients';
import { startChildServer } from '../support/childServer';
import { ask, rawConnect } from '../support/raw';
import { tempDir } from '../support/servers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FAST_HASH = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('server/cli.ts', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('prints its listening line, serves the contract, and exits 0 on SIGTERM with data kept', async () => {
    const args = [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      tmp.dir,
      '--client-max-attempts',
      '3',
      '--registration',
      'open',
      '--retention-days',
      '30',
    ];
    const server = await startChildServer(args, FAST_HASH);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/api/config`)).json()).toEqual({
      ackTimeoutMs: 5000,
      maxAttempts: 3,
    });
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const socket = await rawConnect(server.url, alice.token);
    expect(
      await ask(socket, 'msg:R', { id: 'kept', to: bob.userId, body: 'still here' }),
    ).toMatchObject({
      ok: true,
    });
    socket.close();
    expect(await server.stop()).toBe(0);

    const again = await startChildServer(
      [...args.slice(0, 2), '--port', '0', '--data', tmp.dir],
      FAST_HASH,
    );
    const b = await rawConnect(again.url, bob.token);
    expect(await ask(b, 'offline:R', {})).toMatchObject({
      ok: true,
      messages: [{ id: 'kept', body: 'still here', from: alice.userId }],
    });
    b.close();
    expect(await again.stop()).toBe(0);
  });

  it('refuses bad flags with a clear message', () => {
    const r = runCli(['--port', 'seventy']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--port must be an integer from 0 to 65535');
    const unknown = runCli(['--frobnicate']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
    const retention = runCli(['--retention-days', '0']);
    expect(retention.status).toBe(1);
    expect(retention.stderr).toContain('--retention-days must be an integer from 1 to 36500');
    const registration = runCli(['--registration', 'maybe']);
    expect(registration.status).toBe(1);
    expect(registration.stderr).toContain('--registration must be open, invite or closed');
    const rate = runCli(['--rate-limit', 'lots']);
    expect(rate.status).toBe(1);
    expect(rate.stderr).toContain('--rate-limit must be an integer from 0 to');
    const discovery = runCli(['--discovery', 'maybe']);
    expect(discovery.status).toBe(1);
    expect(discovery.stderr).toContain('--discovery must be on or off');
    const hosts = runCli(['--allowed-hosts', ' , ']);
    expect(hosts.status).toBe(1);
    expect(hosts.stderr).toContain('--allowed-hosts needs at least one host name');
    const name = runCli(['--name', 'x'.repeat(64)]);
    expect(name.status).toBe(1);
    expect(name.stderr).toContain('--name must be 1 to 63 bytes');
    for (const r of [retention, registration, rate, unknown, discovery, hosts, name]) {
      expect(r.stderr).toContain('usage:');
    }
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--retention-days N');
    for (const flag of [
      '--tls auto|off',
      '--tls-cert FILE',
      '--tls-key FILE',
      '--allowed-hosts H,H,...',
      '--name NAME',
      '--discovery on|off',
      '--rate-limit N',
      '--max-connections-per-user N',
      '--max-in-flight N',
      '--inbox-quota N',
      '--hash-queue N',
      '--registrations-per-address N',
    ]) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('prints a runtime error as one line, without the usage text', () => {
    const notADir = path.join(tmp.dir, 'a-file');
    writeFileSync(notADir, 'not a directory');
    const r = runCli(['--host', '127.0.0.1', '--port', '0', '--data', notADir]);
    expect(r.status).toBe(78); // EX_CONFIG: a data directory error, see deploy/tickline.service
    expect(r.stderr).toMatch(/^tickline: .+\n$/);
    expect(r.stderr).not.toContain('usage:');
  });

  it('takes the limits from flags', async () => {
    const dir = path.join(tmp.dir, 'limits');
    const server = await startChildServer(
      [
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--data',
        dir,
        '--rate-limit',
        '1',
        '--max-connections-per-user',
        '1',
      ],
      FAST_HASH,
    );
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const socket = await rawConnect(server.url, alice.token);
    await expect(rawConnect(server.url, alice.token)).rejects.toThrow('rate_limited');
    const answers = [];
    for (let i = 0; i < 11; i++) {
      answers.push(await ask(socket, 'msg:R', { id: `m${i}`, to: bob.userId, body: 'x' }));
    }
    // One a second, in bursts of ten: the eleventh (sent within a second) waits.
    expect(answers.slice(0, 10)).toEqual(Array(10).fill(expect.objectContaining({ ok: true })));
    expect(answers[10]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    socket.close();
    expect(await server.stop()).toBe(0);
  });

  it('says so when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const r = runCli(['--host', '127.0.0.1', '--port', String(port), '--data', tmp.dir]);
    blocker.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('port already in use');
  });
});
