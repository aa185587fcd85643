/**
 * The host/connect logic of the desktop shell, run against the real im-server
 * with an in-memory stand-in for Electron's utility process (the same worker
 * code `serverProcess.ts` runs there).
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedServer, type ServerChild } from '../../../electron/main/embeddedServer';
import { ServerChoiceController } from '../../../electron/main/serverChoice';
import { createServerWorker } from '../../../electron/main/serverWorker';
import { DESKTOP_APP_ORIGIN } from '../../../protocol/limits';
import { FAST_SCRYPT, startServer, tempDir } from '../../support/servers';

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
  eth0: [
    {
      address: '192.168.50.7',
      family: 'IPv4' as const,
      internal: false,
      netmask: '255.255.255.0',
      mac: '00:00:00:00:00:01',
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
    { scrypt: FAST_SCRYPT },
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

describe('embedded server (host mode)', () => {
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
      host: '127.0.0.1',
      corsOrigins: [DESKTOP_APP_ORIGIN],
      logFile: path.join(tmp.dir, 'server.log'),
      startTimeoutMs: 15_000,
      stopTimeoutMs: 5_000,
    });
    const settingsFile = path.join(tmp.dir, 'settings.json');
    const controller = () =>
      new ServerChoiceController({ settingsFile, embedded, networkInterfaces: () => LAN });
    cleanup.push(async () => {
      await embedded.stop();
      tmp.remove();
    });
    return { tmp, log, embedded, settingsFile, controller };
  }

  it('hosts, answers /healthz with CORS for the app, remembers the choice and stops cleanly', async () => {
    const { tmp, log, embedded, settingsFile, controller } = setup();
    const port = await freePort();
    const choice = controller();
    expect(await choice.getServerChoice()).toBeNull();

    const hosted = await choice.hostServer(port);
    expect(hosted).toEqual({
      ok: true,
      value: {
        url: `http://127.0.0.1:${port}`,
        port,
        lanAddresses: [`http://192.168.50.7:${port}`],
      },
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`, {
      headers: { origin: DESKTOP_APP_ORIGIN },
    });
    expect(await health.json()).toEqual({ ok: true });
    expect(health.headers.get('access-control-allow-origin')).toBe(DESKTOP_APP_ORIGIN);
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({
      version: 1,
      server: { mode: 'host', port },
    });
    expect(existsSync(path.join(tmp.dir, 'server-data'))).toBe(true);
    expect(existsSync(path.join(tmp.dir, 'server.log'))).toBe(true);
    expect(await choice.getServerChoice()).toEqual({
      mode: 'host',
      ...(hosted.ok && hosted.value),
    });

    // Hosting again on the same port reuses the running server.
    expect((await choice.hostServer(port)).ok).toBe(true);
    expect(log.filter((t) => t === 'ready')).toHaveLength(1);

    await choice.shutdown();
    expect(log).toContain('closed');
    expect(embedded.port).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('restarts the remembered server on the next launch', async () => {
    const { embedded, controller } = setup();
    const port = await freePort();
    expect((await controller().hostServer(port)).ok).toBe(true);
    await embedded.stop();

    const relaunched = controller();
    expect(await relaunched.restore()).toMatchObject({ port });
    expect(await relaunched.getServerChoice()).toMatchObject({ mode: 'host', port });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).ok).toBe(true);
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
    await expect(fetch(`http://127.0.0.1:${a}/healthz`)).rejects.toThrow();
  });

  it('connects to another server after /healthz, stopping the embedded one', async () => {
    const { controller, embedded, settingsFile } = setup();
    const remote = await startServer();
    cleanup.push(() => remote.close());
    const choice = controller();
    const port = await freePort();
    expect((await choice.hostServer(port)).ok).toBe(true);

    // The embedded server's own address is refused (it is about to be stopped).
    expect(await choice.connectServer(`192.168.50.7:${port}`)).toMatchObject({
      ok: false,
      code: 'invalid',
    });
    expect(await choice.connectServer('ftp://x')).toMatchObject({ ok: false, code: 'invalid' });
    const dead = await freePort();
    expect(await choice.connectServer(`127.0.0.1:${dead}`)).toMatchObject({
      ok: false,
      code: 'unreachable',
    });
    expect(embedded.port).toBe(port); // failures change nothing

    const address = remote.url.replace('http://', '');
    expect(await choice.connectServer(address)).toEqual({ ok: true, value: { url: remote.url } });
    expect(embedded.port).toBeUndefined();
    expect(await choice.getServerChoice()).toEqual({ mode: 'connect', url: remote.url });
    expect(JSON.parse(readFileSync(settingsFile, 'utf8')).server).toEqual({
      mode: 'connect',
      url: remote.url,
    });

    await choice.resetServerChoice();
    expect(await choice.getServerChoice()).toBeNull();
    expect(await controller().getServerChoice()).toBeNull();
  });
});
