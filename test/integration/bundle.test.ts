/**
 * Smoke test of the built desktop bundle (what `npm start` and the installers
 * run), not of its TypeScript sources: `electron-vite build`, then
 * out/main/index.js under Node with a stand-in `electron` module (resolved by
 * a loader hook; the bundle is not edited) and the utility-process entry
 * out/main/serverProcess.js in a real child process. Proves the wiring that
 * only exists in the output: ESM shape and externals, `import.meta.dirname`
 * paths (preload, renderer, icons, server entry), the `app://` handler serving
 * out/renderer, the embedded server starting over TLS with a real SQLite file,
 * answering /healthz over its pinned certificate and serving the web client,
 * the certificate check in every session, pause/resume from the tray, a clean
 * quit closing it, and an installed app (DevTools off, no user-data override).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkHealth } from '../../desktop/health';
import { forkServer } from '../unit/electron/support/forkedServer';
import { tempDir } from '../support/servers';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'out');
const STAND_IN = path.join(ROOT, 'test/unit/electron/support/standIn');

let buildMs = 0;

beforeAll(() => {
  const started = Date.now();
  const build = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  buildMs = Date.now() - started;
  if (build.status !== 0)
    throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);
  console.log(`[bundle] electron-vite build took ${buildMs} ms`);
}, 180_000);

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** GET over https from a server with a self-signed certificate (its pin is checked elsewhere). */
function httpsText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    }).on('error', reject);
  });
}

/** Electron's view of a PEM certificate in the verify proc. */
function electronCertificate(pem: string): { data: string; fingerprint: string } {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return { data: pem, fingerprint: `sha256/${createHash('sha256').update(der).digest('base64')}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run dev` sets ELECTRON_RENDERER_URL; the built app runs without it. */
function withoutDevServer(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.ELECTRON_RENDERER_URL;
  return copy;
}

interface Harness {
  process: ChildProcess;
  request<T>(type: string, fields?: Record<string, unknown>): Promise<T>;
  exited: Promise<number | null>;
}

/** Starts out/main/index.js under Node with the stand-in `electron`. */
async function startMain(userData: string, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const child = fork(path.join(STAND_IN, 'harness.mjs'), [path.join(OUT, 'main/index.js')], {
    cwd: ROOT,
    execArgv: ['--import', path.join(STAND_IN, 'register.mjs')],
    env: withoutDevServer({
      ...process.env,
      TICKLINE_USER_DATA_DIR: userData,
      TICKLINE_DISCOVERY: 'off',
      ...env,
    }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the main process exited with ${code}`)));
    child.on('message', (raw) => {
      const message = raw as {
        type?: string;
        id?: number;
        ok?: boolean;
        answer?: unknown;
        error?: string;
      };
      if (message.type === 'loaded') resolve();
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.answer);
      else waiter.reject(new Error(message.error));
    });
  });
  return {
    process: child,
    exited,
    request<T>(type: string, fields: Record<string, unknown> = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, type, ...fields });
      });
    },
  };
}

interface State {
  privileged: { scheme: string; privileges: Record<string, boolean> }[];
  windows: {
    title: string;
    icon: string;
    url: string;
    partition: string;
    webPreferences: Record<string, unknown> & { preload: string };
  }[];
  sessions: { partition: string; schemes: string[]; verifies: boolean }[];
  userData: string;
  trayItems: string[];
  channels: string[];
  forks: {
    modulePath: string;
    pid: number;
    options: { serviceName?: string };
    exitCode?: number | string;
  }[];
  trayIcon: string;
  menu: string[];
}

/** Server processes the main process forked (from `state` answers), ended in afterAll. */
const serverPids = new Set<number>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe('the built main process (out/main/index.js) under a stand-in electron', () => {
  const userData = tempDir('tickline-bundle-');
  let main: Harness;
  let hosted: { url: string; port: number; fingerprint: string };

  beforeAll(async () => {
    main = await startMain(userData.dir);
  });

  afterAll(() => {
    // A failed test may leave the main process or the server's running.
    main?.process.kill('SIGKILL');
    for (const pid of serverPids) {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
    userData.remove();
  });

  it('registers app:// and creates the window with the security options', async () => {
    const state = await main.request<State>('state');
    expect(state.privileged).toEqual([
      {
        scheme: 'app',
        privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
      },
    ]);
    expect(state.windows).toHaveLength(1);
    const [win] = state.windows;
    expect(win!.url).toBe('app://tickline/index.html');
    expect(win!.partition).toBe('persist:tickline-window-1');
    expect(win!.webPreferences).toEqual({
      preload: path.join(OUT, 'preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: true,
      devTools: true,
    });
    // Paths computed from the bundle's own location point at built files.
    expect(existsSync(win!.webPreferences.preload)).toBe(true);
    expect(existsSync(win!.icon)).toBe(true);
    expect(existsSync(state.trayIcon)).toBe(true);
    // Every session (the default one and each window's) checks certificates against the pins.
    expect(state.sessions).toEqual([
      { partition: '', schemes: [], verifies: true },
      { partition: 'persist:tickline-window-1', schemes: ['app'], verifies: true },
    ]);
    expect(state.userData).toBe(userData.dir);
    expect(state.menu).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu']);
    expect(state.channels).toEqual([
      'tickline:browse-servers',
      'tickline:connect-server',
      'tickline:get-server-choice',
      'tickline:host-server',
      'tickline:list-interfaces',
      'tickline:open-external',
      'tickline:open-new-window',
      'tickline:probe-server',
      'tickline:reset-server-choice',
      'tickline:set-unread-count',
    ]);
  });

  it('serves out/renderer through app:// with the CSP, and nothing outside it', async () => {
    const index = await main.request<Fetched>('fetch', { url: 'app://tickline/index.html' });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    const html = Buffer.from(index.body, 'base64').toString('utf8');
    expect(html).toBe(readFileSync(path.join(OUT, 'renderer/index.html'), 'utf8'));

    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    if (!script) throw new Error('no script in out/renderer/index.html');
    const asset = await main.request<Fetched>('fetch', { url: `app://tickline/${script}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(sha256(Buffer.from(asset.body, 'base64'))).toBe(
      sha256(readFileSync(path.join(OUT, 'renderer', script))),
    );

    const outside = await main.request<Fetched>('fetch', {
      url: 'app://tickline/%2e%2e/main/index.js',
    });
    expect(outside.status).toBeGreaterThanOrEqual(400);
  });

  it('hosts over TLS: forks out/main/serverProcess.js, pins its certificate, serves the web client', async () => {
    const port = await freePort();
    const result = await main.request<{
      value: { ok: boolean; value?: { url: string; port: number; fingerprint: string } };
    }>('invoke', { channel: 'tickline:host-server', args: [port, {}] });
    expect(result.value).toMatchObject({
      ok: true,
      value: { url: expect.stringMatching(/^https:\/\//), port },
    });
    hosted = result.value.value!;
    expect(hosted.url.endsWith(`:${port}`)).toBe(true);
    expect(await checkHealth(hosted.url, { pin: hosted.fingerprint })).toMatchObject({ ok: true });
    // Colleagues without the app: the same renderer bundle, served by the embedded server.
    const page = await httpsText(`${hosted.url}/`);
    expect(page.status).toBe(200);
    expect(page.text).toBe(readFileSync(path.join(OUT, 'renderer/index.html'), 'utf8'));
    const pem = readFileSync(path.join(userData.dir, 'server-data', 'tls-cert.pem'), 'utf8');
    const other = readFileSync(
      path.join(ROOT, 'test/unit/desktop/fixtures/other-cert.pem'),
      'utf8',
    );
    const hostname = new URL(hosted.url).hostname;
    for (const partition of ['', 'persist:tickline-window-1']) {
      const verdict = (certificate: unknown) =>
        main.request<number>('verify', { partition, hostname, certificate });
      expect(await verdict(electronCertificate(pem))).toBe(0);
      expect(await verdict(electronCertificate(other))).toBe(-2);
    }
    const state = await main.request<State>('state');
    expect(state.trayItems).toContain('pause-hosting');
    for (const entry of state.forks) serverPids.add(entry.pid);
    expect(state.forks).toHaveLength(1);
    expect(state.forks[0]!.modulePath).toBe(path.join(OUT, 'main/serverProcess.js'));
    expect(existsSync(path.join(userData.dir, 'server-data', 'tickline.sqlite3'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(userData.dir, 'settings.json'), 'utf8'))).toEqual({
      version: 1,
      server: { mode: 'host', port, registration: 'invite', address: 'auto' },
    });
    expect(JSON.parse(readFileSync(path.join(userData.dir, 'pins.json'), 'utf8')).pins).toEqual({
      [hosted.url]: hosted.fingerprint,
    });
  });

  it('restarts a server that dies and tells every window', async () => {
    const before = await main.request<State>('state');
    const dead = before.forks.at(-1)!;
    const port = (
      await main.request<{ value: { port: number } }>('invoke', {
        channel: 'tickline:get-server-choice',
        args: [],
      })
    ).value.port;
    process.kill(dead.pid, 'SIGKILL');
    const sent = await main.request<unknown[][]>('sent', { count: 2 });
    expect(sent).toEqual([
      ['tickline:host-event', { type: 'restarting', seconds: 1 }],
      ['tickline:host-event', { type: 'restarted', port }],
    ]);
    const after = await main.request<State>('state');
    for (const entry of after.forks) serverPids.add(entry.pid);
    expect(after.forks).toHaveLength(2);
    expect(await checkHealth(hosted.url, { pin: hosted.fingerprint })).toMatchObject({ ok: true });
  });

  it('pauses and resumes hosting from the tray', async () => {
    await main.request('tray', { item: 'pause-hosting' });
    expect((await main.request<unknown[][]>('sent', { count: 3 }))[2]).toEqual([
      'tickline:host-event',
      { type: 'paused' },
    ]);
    expect(await checkHealth(hosted.url, { pin: hosted.fingerprint })).toMatchObject({ ok: false });
    await vi.waitFor(async () =>
      expect((await main.request<State>('state')).trayItems).toContain('resume-hosting'),
    );
    await main.request('tray', { item: 'resume-hosting' });
    expect((await main.request<unknown[][]>('sent', { count: 4 }))[3]).toEqual([
      'tickline:host-event',
      { type: 'resumed', port: hosted.port },
    ]);
    expect(await checkHealth(hosted.url, { pin: hosted.fingerprint })).toMatchObject({ ok: true });
    for (const entry of (await main.request<State>('state')).forks) serverPids.add(entry.pid);
  });

  it('quits cleanly: the server closes its store, its process exits, then the app quits', async () => {
    const state = await main.request<State>('state');
    const port = (
      await main.request<{ value: { port: number } }>('invoke', {
        channel: 'tickline:get-server-choice',
        args: [],
      })
    ).value.port;
    const answer = await main.request<{ forks: State['forks'] }>('quit');
    // When the app quit, the server's process had already exited.
    expect(answer.forks).toHaveLength(state.forks.length);
    for (const entry of answer.forks) expect(entry.exitCode).toBeDefined();
    expect(await main.exited).toBe(0);
    expect(port).toBe(hosted.port);
    expect(await checkHealth(hosted.url, { pin: hosted.fingerprint })).toMatchObject({ ok: false });
    // A clean close checkpoints the WAL into the database file and removes it.
    expect(existsSync(path.join(userData.dir, 'server-data', 'tickline.sqlite3-wal'))).toBe(false);
  });
});

describe('the built utility-process entry (out/main/serverProcess.js)', () => {
  it('starts a real server on port 0 with a real SQLite file, answers /healthz, and closes', async () => {
    const data = tempDir('tickline-bundle-server-');
    const { child, process: proc } = forkServer(path.join(OUT, 'main/serverProcess.js'));
    const messages: unknown[] = [];
    const next = () =>
      new Promise<{ type: string; port?: number }>((resolve) =>
        proc.once('message', (message) => {
          messages.push(message);
          resolve(message as { type: string; port?: number });
        }),
      );
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    try {
      let answer = next();
      child.postMessage({
        type: 'start',
        host: '127.0.0.1',
        port: 0,
        dataDir: data.dir,
        corsOrigins: ['app://tickline'],
        registration: 'invite',
        tls: 'auto',
      });
      const ready = (await answer) as { type: string; port: number; fingerprint: string };
      expect(ready.type).toBe('ready');
      expect(ready.port).toBeGreaterThan(0);
      expect(ready.fingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
      const url = `https://127.0.0.1:${ready.port}`;
      expect(await checkHealth(url, { pin: ready.fingerprint })).toMatchObject({ ok: true });
      expect(existsSync(path.join(data.dir, 'tickline.sqlite3'))).toBe(true);
      answer = next();
      child.postMessage({ type: 'shutdown' });
      expect(await answer).toEqual({ type: 'closed' });
      expect(await exited).toBe(0);
      expect(await checkHealth(url)).toMatchObject({ ok: false });
    } finally {
      proc.kill('SIGKILL');
      data.remove();
    }
  });
});

describe('the built preload (out/preload/index.cjs)', () => {
  it('is one self-contained file: it requires only electron, and exposes the bridge', () => {
    const source = readFileSync(path.join(OUT, 'preload/index.cjs'), 'utf8');
    const required: string[] = [];
    const exposed = new Map<string, Record<string, unknown>>();
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api),
      },
      ipcRenderer: { invoke: () => Promise.resolve(), send: () => undefined, on: () => undefined },
    };
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', source)(sandboxRequire, module, module.exports);
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed.get('tickline') ?? {}).sort()).toEqual([
      'connectServer',
      'getServerChoice',
      'hostServer',
      'listInterfaces',
      'onFoundServers',
      'onHostEvent',
      'openExternal',
      'openNewWindow',
      'probeServer',
      'resetServerChoice',
      'setUnreadCount',
    ]);
  });
});

describe('the built main process as an installed app (app.isPackaged)', () => {
  it('turns DevTools off and ignores TICKLINE_USER_DATA_DIR', async () => {
    const userData = tempDir('tickline-bundle-packaged-');
    const main = await startMain(userData.dir, { STAND_IN_PACKAGED: '1' });
    try {
      const state = await main.request<State>('state');
      expect(state.windows[0]!.webPreferences.devTools).toBe(false);
      expect(state.userData).not.toBe(userData.dir);
    } finally {
      main.process.kill('SIGKILL');
      userData.remove();
    }
  });
});
