/**
 * The host/connect logic of the desktop shell, run against the real im-server
 * with an in-memory stand-in for Electron's utility process (the same worker
 * code `serverProcess.ts` runs there): hosting over TLS with the app's own
 * certificate pinned, and connecting with trust on first use.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedServer, type ServerChild } from '../../../desktop/embeddedServer';
import { checkHealth } from '../../../desktop/health';
import { PinStore } from '../../../desktop/pins';
import { ServerChoiceController } from '../../../desktop/serverChoice';
import { createServerWorker } from '../../../desktop/serverWorker';
import { DESKTOP_APP_ORIGIN } from '../../../protocol/limits';
import { calibrate } from '../../support/calibrate';
import { FAST_SCRYPT, startServer, tempDir } from '../../support/servers';

/**
 * What these tests wait for is mostly server starts: the im-server with a
 * new self-signed certificate, its SQLite file and its store writer's worker
 * thread (1–2.5 s each on an idle 2-core machine). One is timed here; a test
 * starts at most three (and stops them), so it gets the time of four.
 */
const starts = await calibrate('one in-process im-server start and stop over TLS', async () => {
  const server = await startServer({ tls: 'auto' });
  await server.close();
});
const TEST_TIMEOUT = starts.timeout(4);

/** A computer whose only usable address is loopback: the host binds 127.0.0.1. */
const LAN = {
  lo: [
    {
      address: '127.0.0.1',
      family: 'IPv4' as const,
      internal: true,
      netmask: '255.0.0.0',
      mac: '00:00:00:00:00:00',
      cidr: null,
    },
  ],
};

/** An in-process "utility process": structured-cloned messages both ways. */
function inProcessChild(log: string[]): ServerChild {
  const events = new EventEmitter();
  let exited = false;
  const worker = createServerWorker(
    {
      post(message) {
        log.push(message.type);
        setImmediate(() => events.emit('message', structuredClone(message)));
        if (message.type === 'closed') setImmediate(() => exit(0));
      },
    },
    { scrypt: FAST_SCRYPT, discovery: false },
  );
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    events.emit('exit', code);
  };
  return {
    postMessage: (message) => void worker.handle(structuredClone(message)),
    onMessage: (listener) => events.on('message', listener),
    onExit: (listener) => events.once('exit', listener),
    kill: () => exit(1),
  };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function occupy(): Promise<{ port: number; server: NetServer }> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** POSTs JSON over https to a server with a self-signed certificate (tests only). */
function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString()),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

describe('embedded server (host mode)', { timeout: TEST_TIMEOUT }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function setup() {
    const tmp = tempDir('tickline-desktop-');
    const log: string[] = [];
    const embedded = new EmbeddedServer({
      spawn: () => inProcessChild(log),
      dataDir: path.join(tmp.dir, 'server-data'),
      corsOrigins: [DESKTOP_APP_ORIGIN],
      logFile: path.join(tmp.dir, 'server.log'),
      startTimeoutMs: starts.timeout(1),
      stopTimeoutMs: starts.timeout(1),
    });
    const settingsFile = path.join(tmp.dir, 'settings.json');
    const pinsFile = path.join(tmp.dir, 'pins.json');
    const controller = () =>
      new ServerChoiceController({
        settingsFile,
        pins: new PinStore(pinsFile),
        embedded,
        networkInterfaces: () => LAN,
      });
    cleanup.push(async () => {
      await embedded.stop();
      tmp.remove();
    });
    return { tmp, log, embedded, settingsFile, pinsFile, controller };
  }

  it('hosts over TLS on one interface, pins its own certificate, remembers and stops cleanly', async () => {
    const { tmp, log, embedded, settingsFile, pinsFile, controller } = setup();
    const port = await freePort();
    const choice = controller();
    expect(await choice.getServerChoice()).toBeNull();

    const hosted = await choice.hostServer(port);
    if (!hosted.ok) throw new Error(hosted.error);
    const url = `https://127.0.0.1:${port}`;
    expect(hosted.value).toMatchObject({
      url,
      port,
      address: '127.0.0.1',
      addressChoice: 'auto',
      registration: 'invite',
      lanAddresses: [],
      interfaces: [],
    });
    const fingerprint = hosted.value.fingerprint!;
    expect(fingerprint).toMatch(FINGERPRINT);
    expect(hosted.value.shortFingerprint).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
    // Pinned without asking, in a file only this user can read.
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins).toEqual({ [url]: fingerprint });
    expect(statSync(pinsFile).mode & 0o777).toBe(0o600);
    expect(await checkHealth(url, { pin: fingerprint })).toMatchObject({ ok: true });
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({
      version: 1,
      server: { mode: 'host', port, registration: 'invite', address: 'auto' },
    });
    expect(existsSync(path.join(tmp.dir, 'server-data'))).toBe(true);
    expect(existsSync(path.join(tmp.dir, 'server.log'))).toBe(true);
    expect(await choice.getServerChoice()).toEqual({ mode: 'host', ...hosted.value });

    // Hosting again the same way reuses the running server.
    expect((await choice.hostServer(port)).ok).toBe(true);
    expect(log.filter((t) => t === 'ready')).toHaveLength(1);

    await choice.shutdown();
    expect(log).toContain('closed');
    expect(embedded.port).toBeUndefined();
    expect(await checkHealth(url, { pin: fingerprint })).toMatchObject({ ok: false });
  });

  it('lets only invited people join by default, anyone when the host chose so', async () => {
    const { controller } = setup();
    const choice = controller();
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const register = (username: string, setupCode?: string) =>
      post(`${url}/api/register`, { username, password: 'correct horse battery', setupCode });
    const hosted = await choice.hostServer(port, { registration: 'invite' });
    if (!hosted.ok) throw new Error(hosted.error);
    expect((await register('first', hosted.value.setupCode)).status).toBe(201); // the admin
    expect(await register('second')).toMatchObject({
      status: 403,
      body: { error: { code: 'invite_required' } },
    });
    expect((await choice.hostServer(port, { registration: 'open' })).ok).toBe(true);
    expect((await register('third')).status).toBe(201);
  });

  it('gives its window the setup code while the server has no account, none once the owner has one', async () => {
    const { controller, embedded } = setup();
    const port = await freePort();
    const choice = controller();
    const hosted = await choice.hostServer(port);
    if (!hosted.ok) throw new Error(hosted.error);
    const setupCode = hosted.value.setupCode;
    expect(setupCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
    expect(await choice.getServerChoice()).toMatchObject({ mode: 'host', setupCode });
    // It is the code the server checks: wrong without it, the admin with it.
    const register = (body: Record<string, unknown>) =>
      post(`${hosted.value.url}/api/register`, {
        username: 'owner',
        password: 'correct horse battery',
        ...body,
      });
    expect(await register({})).toMatchObject({
      status: 403,
      body: { error: { code: 'setup_required' } },
    });
    expect(await register({ setupCode })).toMatchObject({
      status: 201,
      body: { isAdmin: true },
    });
    // The next launch: the server has its admin, there is no code to show.
    await embedded.stop();
    const relaunched = controller();
    expect(await relaunched.restore()).toMatchObject({ port });
    expect(await relaunched.getServerChoice()).not.toHaveProperty('setupCode');
  });

  it("refuses an interface that is not this computer's and changes nothing", async () => {
    const { controller, embedded, settingsFile } = setup();
    const choice = controller();
    const result = await choice.hostServer(await freePort(), { address: '192.0.2.1' });
    expect(result).toMatchObject({ ok: false, code: 'invalid' });
    expect(embedded.port).toBeUndefined();
    expect(existsSync(settingsFile)).toBe(false);
  });

  it('restarts the remembered server on the next launch, with the same certificate', async () => {
    const { embedded, controller } = setup();
    const port = await freePort();
    const first = await controller().hostServer(port);
    await embedded.stop();

    const relaunched = controller();
    const restored = await relaunched.restore();
    expect(restored).toMatchObject({ port, fingerprint: first.ok && first.value.fingerprint });
    expect(await relaunched.getServerChoice()).toMatchObject({ mode: 'host', port });
  });

  it('pauses and resumes hosting, keeping the choice', async () => {
    const { embedded, controller } = setup();
    const port = await freePort();
    const choice = controller();
    const hosted = await choice.hostServer(port);
    if (!hosted.ok) throw new Error(hosted.error);
    expect(await choice.hostingState()).toBe('on');
    expect(await choice.pauseHosting()).toEqual({ type: 'paused' });
    expect(embedded.port).toBeUndefined();
    expect(await choice.hostingState()).toBe('paused');
    expect(await choice.getServerChoice()).toMatchObject({ mode: 'host', paused: true });
    expect(embedded.port).toBeUndefined(); // asking for the choice does not resume
    expect(await choice.resumeHosting()).toEqual({ type: 'resumed', port });
    expect(await checkHealth(hosted.value.url, { pin: hosted.value.fingerprint! })).toMatchObject({
      ok: true,
    });
  });

  it('reports a port in use and keeps no choice', async () => {
    const { embedded, settingsFile, controller } = setup();
    const busy = await occupy();
    cleanup.push(() => new Promise<void>((resolve) => busy.server.close(() => resolve())));
    const choice = controller();
    const result = await choice.hostServer(busy.port);
    expect(result).toMatchObject({ ok: false, code: 'port_in_use' });
    if (!result.ok) expect(result.error).toContain(String(busy.port));
    expect(embedded.port).toBeUndefined();
    expect(existsSync(settingsFile)).toBe(false);
    expect(await choice.getServerChoice()).toBeNull();

    // Another port works.
    const port = await freePort();
    expect((await choice.hostServer(port)).ok).toBe(true);
  });

  it('moves to another port, stopping the first server', async () => {
    const { controller, embedded } = setup();
    const [a, b] = [await freePort(), await freePort()];
    const choice = controller();
    expect((await choice.hostServer(a)).ok).toBe(true);
    expect((await choice.hostServer(b)).ok).toBe(true);
    expect(embedded.port).toBe(b);
    expect(await checkHealth(`https://127.0.0.1:${a}`)).toMatchObject({ ok: false });
  });
});

describe('connecting with trust on first use', { timeout: TEST_TIMEOUT }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function setup() {
    const tmp = tempDir('tickline-tofu-');
    const embedded = new EmbeddedServer({
      spawn: () => inProcessChild([]),
      dataDir: path.join(tmp.dir, 'server-data'),
      corsOrigins: [DESKTOP_APP_ORIGIN],
    });
    const settingsFile = path.join(tmp.dir, 'settings.json');
    const pinsFile = path.join(tmp.dir, 'pins.json');
    const controller = () =>
      new ServerChoiceController({
        settingsFile,
        pins: new PinStore(pinsFile),
        embedded,
        networkInterfaces: () => LAN,
      });
    cleanup.push(async () => {
      await embedded.stop();
      tmp.remove();
    });
    return { embedded, settingsFile, pinsFile, controller };
  }

  async function remote(options: { port?: number; dataDir?: string; tls?: 'auto' | 'off' } = {}) {
    const server = await startServer({ tls: 'auto', ...options });
    cleanup.push(() => server.close());
    return server;
  }

  it("shows a new server's fingerprint, pins it once accepted, and connects over exactly it", async () => {
    const { controller, settingsFile, pinsFile } = setup();
    const server = await remote();
    const address = server.url.replace('https://', '');
    const choice = controller();

    const probe = await choice.probeServer(address);
    expect(probe).toEqual({
      ok: true,
      value: {
        url: server.url,
        tls: true,
        fingerprint: server.fingerprint,
        shortFingerprint: expect.stringMatching(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/),
        pin: 'new',
      },
    });
    expect(existsSync(pinsFile)).toBe(false); // looking is not trusting

    expect(await choice.connectServer(server.url, server.fingerprint!, false)).toEqual({
      ok: true,
      value: { url: server.url },
    });
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins).toEqual({
      [server.url]: server.fingerprint,
    });
    expect(JSON.parse(readFileSync(settingsFile, 'utf8')).server).toEqual({
      mode: 'connect',
      url: server.url,
      fingerprint: server.fingerprint,
    });
    expect(await controller().getServerChoice()).toMatchObject({
      mode: 'connect',
      url: server.url,
      fingerprint: server.fingerprint,
    });
    expect(await controller().probeServer(address)).toMatchObject({
      ok: true,
      value: { pin: 'same' },
    });
  });

  it('refuses a fingerprint other than the one presented, pinning nothing', async () => {
    const { controller, pinsFile, settingsFile } = setup();
    const server = await remote();
    const wrong = Array.from({ length: 32 }, () => 'AB').join(':');
    expect(await controller().connectServer(server.url, wrong, false)).toMatchObject({
      ok: false,
      code: 'fingerprint_mismatch',
    });
    expect(existsSync(pinsFile)).toBe(false);
    expect(existsSync(settingsFile)).toBe(false);
    // Connecting to an https server needs a compared fingerprint.
    expect(await controller().connectServer(server.url, null, false)).toMatchObject({
      ok: false,
      code: 'invalid',
    });
  });

  it('blocks a changed certificate until the person explicitly trusts the new one', async () => {
    const { controller, pinsFile } = setup();
    const first = await remote();
    const choice = controller();
    expect((await choice.connectServer(first.url, first.fingerprint!, false)).ok).toBe(true);
    // The same address now presents another certificate (a reinstalled host, or an impostor).
    await first.close();
    const second = await remote({ port: first.port });
    expect(second.url).toBe(first.url);
    expect(second.fingerprint).not.toBe(first.fingerprint);

    const probe = await choice.probeServer(second.url);
    expect(probe).toMatchObject({
      ok: true,
      value: { pin: 'changed', fingerprint: second.fingerprint, pinned: first.fingerprint },
    });
    expect(await choice.connectServer(second.url, second.fingerprint!, false)).toMatchObject({
      ok: false,
      code: 'fingerprint_changed',
    });
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins[first.url]).toBe(first.fingerprint);
    // The explicit step.
    expect((await choice.connectServer(second.url, second.fingerprint!, true)).ok).toBe(true);
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins[first.url]).toBe(second.fingerprint);
  });

  it('treats the advertised fingerprint as a hint: a different real one is an error', async () => {
    const { controller } = setup();
    const server = await remote();
    const advertised = Array.from({ length: 32 }, () => 'CD').join(':');
    const probe = await controller().probeServer(server.url, advertised);
    expect(probe).toMatchObject({ ok: false, code: 'fingerprint_mismatch' });
    expect(await controller().probeServer(server.url, server.fingerprint!)).toMatchObject({
      ok: true,
    });
  });

  it('still connects to a plain-http server, saying it is not encrypted', async () => {
    const { controller } = setup();
    const server = await remote({ tls: 'off' });
    const address = server.url.replace('http://', '');
    const choice = controller();
    expect(await choice.probeServer(address)).toEqual({
      ok: true,
      value: { url: server.url, tls: false, pin: 'none' },
    });
    expect(await choice.connectServer(server.url, null, false)).toEqual({
      ok: true,
      value: { url: server.url },
    });
  });

  it('never falls back to http for an address whose certificate is pinned', async () => {
    const { controller } = setup();
    const tls = await remote();
    const choice = controller();
    const address = tls.url.replace('https://', '');
    expect((await choice.connectServer(tls.url, tls.fingerprint!, false)).ok).toBe(true);
    await tls.close();
    const plain = await remote({ tls: 'off', port: tls.port });
    expect(plain.url).toBe(`http://127.0.0.1:${tls.port}`);
    expect(await choice.probeServer(address)).toMatchObject({ ok: false, code: 'unreachable' });
  });

  it('refuses its own server, bad addresses and unreachable ones, changing nothing', async () => {
    const { controller, embedded } = setup();
    const choice = controller();
    const port = await freePort();
    expect((await choice.hostServer(port)).ok).toBe(true);
    expect(await choice.probeServer(`127.0.0.1:${port}`)).toMatchObject({
      ok: false,
      code: 'invalid',
    });
    expect(await choice.probeServer('ftp://x')).toMatchObject({ ok: false, code: 'invalid' });
    const dead = await freePort();
    expect(await choice.probeServer(`127.0.0.1:${dead}`)).toMatchObject({
      ok: false,
      code: 'unreachable',
    });
    expect(embedded.port).toBe(port); // failures change nothing

    // Connecting elsewhere stops the embedded server; forgetting the choice keeps the pins.
    const server = await remote();
    expect((await choice.connectServer(server.url, server.fingerprint!, false)).ok).toBe(true);
    expect(embedded.port).toBeUndefined();
    await choice.resetServerChoice();
    expect(await choice.getServerChoice()).toBeNull();
    expect(await controller().getServerChoice()).toBeNull();
    expect(await controller().probeServer(server.url)).toMatchObject({ value: { pin: 'same' } });
  });
});
