/**
 * The main process's wiring (electron/main/index.ts) against a fake `electron`
 * module: the Electron binary is not available everywhere, so this checks
 * what can be checked without it — privileged scheme, window preferences,
 * per-window partitions, IPC sender and argument validation, navigation and
 * pop-up denial, permissions, the certificate check installed in every
 * session with the host's own certificate pinned, pause/resume from the tray,
 * badge, and the embedded server stopped on quit (the utility process is
 * replaced by the same worker in-process).
 */
import { EventEmitter } from 'node:events';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type * as Os from 'node:os';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VERIFY } from '../../../desktop/certificateCheck';
import { CHANNELS, EVENTS } from '../../../desktop/channels';
import { checkHealth } from '../../../desktop/health';
import { createServerWorker } from '../../../desktop/serverWorker';
import { calibrate } from '../../support/calibrate';
import { FAST_SCRYPT, startServer } from '../../support/servers';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  const userData = { dir: '' };
  const appEvents = new Map<string, Listener[]>();
  const handlers = new Map<string, Listener>();
  const listeners = new Map<string, Listener>();
  const windows: FakeWindow[] = [];
  const sessions = new Map<string, FakeSession>();
  const privileged: unknown[] = [];
  const badge: number[] = [];
  const opened: string[] = [];
  const forks: string[] = [];
  let quitCalls = 0;
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  type FakeMenu = { getMenuItemById(id: string): { click(): void } | null };
  let appMenu: FakeMenu | null = null;
  const trayMenus: FakeMenu[] = [];

  interface FakeSession {
    partition: string;
    schemes: Map<string, (request: Request) => Promise<Response>>;
    permissionRequest?: Listener;
    permissionCheck?: Listener;
    verifyProc?: (request: unknown, callback: (result: number) => void) => void;
    verifyInstalls: number;
  }
  interface FakeWindow {
    options: Record<string, unknown> & { webPreferences: Record<string, unknown> };
    url?: string;
    webContents: { id: number; mainFrame: { url: string }; sent: unknown[][] };
    closed: EventEmitter;
  }
  let nextId = 1;

  class BrowserWindow {
    readonly webContents: FakeWindow['webContents'];
    private readonly events = new EventEmitter();
    constructor(options: FakeWindow['options']) {
      const sent: unknown[][] = [];
      this.webContents = {
        id: nextId++,
        mainFrame: { url: 'app://tickline/index.html' },
        sent,
        send: (...args: unknown[]) => sent.push(args),
      } as FakeWindow['webContents'];
      windows.push({ options, webContents: this.webContents, closed: this.events });
      Object.defineProperty(this, 'record', { value: windows.at(-1) });
    }
    once(event: string, fn: Listener) {
      this.events.once(event, fn);
    }
    on(event: string, fn: Listener) {
      this.events.on(event, fn);
    }
    loadURL(url: string) {
      (this as unknown as { record: FakeWindow }).record.url = url;
      return Promise.resolve();
    }
    show() {}
    focus() {}
    isMinimized() {
      return false;
    }
    isFocused() {
      return false;
    }
    flashFrame() {}
    static instances: BrowserWindow[] = [];
    static fromWebContents(contents: unknown) {
      return windows.some((w) => w.webContents === contents) ? {} : null;
    }
    static getFocusedWindow() {
      return null;
    }
  }

  const electron = {
    app: {
      isPackaged: false,
      getPath: () => userData.dir,
      setPath: () => undefined,
      requestSingleInstanceLock: () => true,
      setAppUserModelId: () => undefined,
      on: (event: string, fn: Listener) => {
        appEvents.set(event, [...(appEvents.get(event) ?? []), fn]);
      },
      whenReady: () => ready,
      isReady: () => true,
      quit: () => {
        quitCalls += 1;
        const event = { defaultPrevented: false, preventDefault: () => undefined };
        for (const fn of appEvents.get('before-quit') ?? []) fn(event);
      },
      setBadgeCount: (n: number) => {
        badge.push(n);
        return true;
      },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => privileged.push(...schemes),
    },
    session: {
      get defaultSession() {
        return electron.session.fromPartition('');
      },
      fromPartition: (partition: string) => {
        let ses = sessions.get(partition);
        if (!ses) {
          const created: FakeSession = { partition, schemes: new Map(), verifyInstalls: 0 };
          ses = created;
          sessions.set(partition, created);
          Object.assign(created, {
            protocol: {
              handle: (scheme: string, fn: (r: Request) => Promise<Response>) =>
                created.schemes.set(scheme, fn),
            },
            setPermissionRequestHandler: (fn: Listener) => (created.permissionRequest = fn),
            setPermissionCheckHandler: (fn: Listener) => (created.permissionCheck = fn),
            setCertificateVerifyProc: (fn: FakeSession['verifyProc']) => {
              created.verifyProc = fn;
              created.verifyInstalls += 1;
            },
          });
        }
        return ses;
      },
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, fn: Listener) => handlers.set(channel, fn),
      on: (channel: string, fn: Listener) => listeners.set(channel, fn),
    },
    Menu: {
      buildFromTemplate: (template: { id?: string; click?: () => void; submenu?: unknown }[]) => ({
        getMenuItemById(id: string) {
          const all = template.flatMap((item) => [
            item,
            ...((Array.isArray(item.submenu) ? item.submenu : []) as typeof template),
          ]);
          const found = all.find((item) => item.id === id);
          return found?.click ? { click: found.click } : null;
        },
      }),
      setApplicationMenu: (menu: typeof appMenu) => {
        appMenu = menu;
      },
      getApplicationMenu: () => appMenu,
    },
    Tray: class {
      setToolTip() {}
      setTitle() {}
      setContextMenu(menu: FakeMenu) {
        trayMenus.push(menu);
      }
      on() {}
    },
    nativeImage: { createFromPath: () => ({}) },
    shell: {
      openExternal: async (url: string) => {
        opened.push(url);
      },
    },
    utilityProcess: { fork: (entry: string) => forkFake(entry) },
  };

  // Replaced in beforeAll with the in-process server worker.
  let forkFake: (entry: string) => unknown = () => {
    throw new Error('not ready');
  };

  return {
    electron,
    userData,
    appEvents,
    handlers,
    listeners,
    windows,
    sessions,
    trayMenus,
    privileged,
    badge,
    opened,
    forks,
    readyResolve,
    quitCalls: () => quitCalls,
    setFork(fn: (entry: string) => unknown) {
      forkFake = fn;
    },
  };
});

vi.mock('electron', () => fake.electron);
// A computer whose only usable address is loopback: the host binds 127.0.0.1.
vi.mock('node:os', async (original) => ({
  ...(await original<typeof Os>()),
  networkInterfaces: () => ({}),
}));
vi.mock('../../../build/icon.png?asset', () => ({ default: '/fake/icon.png' }));
vi.mock('../../../build/tray.png?asset', () => ({ default: '/fake/tray.png' }));

function inProcessUtility(entry: string) {
  fake.forks.push(entry);
  const events = new EventEmitter();
  const worker = createServerWorker(
    {
      post(message) {
        setImmediate(() => events.emit('message', structuredClone(message)));
        if (message.type === 'closed') setImmediate(() => events.emit('exit', 0));
      },
    },
    { scrypt: FAST_SCRYPT, discovery: false },
  );
  return {
    postMessage: (message: unknown) => void worker.handle(structuredClone(message)),
    on: (event: string, fn: Listener) => events.on(event, fn),
    once: (event: string, fn: Listener) => events.once(event, fn),
    kill: () => events.emit('exit', 1),
  };
}

function eventFrom(windowIndex: number, url = 'app://tickline/index.html', iframe = false) {
  const win = fake.windows[windowIndex]!;
  win.webContents.mainFrame.url = 'app://tickline/index.html';
  const senderFrame = iframe ? { url } : Object.assign(win.webContents.mainFrame, { url });
  return { sender: win.webContents, senderFrame };
}

async function invoke(channel: string, event: unknown, ...args: unknown[]) {
  const handler = fake.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler(event, ...args);
}

/**
 * The slow steps here are server starts and stops (hosting, pausing,
 * resuming, quitting, an impostor's server): the im-server with a
 * self-signed certificate and its store's worker thread, 1–2.5 s on an idle
 * 2-core machine. One is timed here: a wait for one such step gets its
 * timeout, a test (at most two starts and a stop) three times that.
 */
const starts = await calibrate('one in-process im-server start and stop over TLS', async () => {
  const server = await startServer({ tls: 'auto' });
  await server.close();
});
/** For `vi.waitFor` of one start or stop (its default of 1 s is less than one start). */
const ONE_STEP = { timeout: starts.timeout(1), interval: 20 };

describe('main process wiring (fake electron)', { timeout: starts.timeout(3) }, () => {
  let hostedPort = 0;
  let fingerprint = '';

  beforeAll(async () => {
    fake.userData.dir = mkdtempSync(path.join(tmpdir(), 'tickline-main-'));
    fake.setFork(inProcessUtility);
    await import('../../../electron/main/index');
    fake.readyResolve();
    // Ready: the first window is open and the tray is there.
    await vi.waitFor(() => {
      expect(fake.windows).toHaveLength(1);
      expect(fake.trayMenus).not.toHaveLength(0);
    }, ONE_STEP);
  });

  afterAll(async () => {
    rmSync(fake.userData.dir, { recursive: true, force: true });
  });

  it('registers app:// as a standard, secure scheme before ready', () => {
    expect(fake.privileged).toEqual([
      {
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      },
    ]);
  });

  it('opens a locked-down window on its own partition, loading app://tickline/', () => {
    expect(fake.windows).toHaveLength(1);
    const [win] = fake.windows;
    expect(win!.url).toBe('app://tickline/index.html');
    expect(win!.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // Not packaged here: DevTools stay available (they are off in installed apps).
      devTools: true,
    });
    expect(String(win!.options.webPreferences.preload)).toMatch(/preload[/\\]index\.cjs$/);
    const ses = win!.options.webPreferences.session as { partition: string };
    expect(ses.partition).toBe('persist:tickline-window-1');
    expect(fake.sessions.get('persist:tickline-window-1')!.schemes.has('app')).toBe(true);
  });

  it('serves nothing outside the renderer folder through app://', async () => {
    const serve = fake.sessions.get('persist:tickline-window-1')!.schemes.get('app')!;
    // Dot segments are resolved by the URL parser (staying inside the root),
    // encoded separators are refused; nothing outside is ever served.
    for (const url of [
      'app://tickline/%2e%2e/%2e%2e/package.json',
      'app://tickline/../../package.json',
      'app://tickline/..%2f..%2fpackage.json',
      'app://tickline/..%5c..%5cpackage.json',
    ]) {
      const response = await serve(new Request(url));
      expect([400, 403, 404]).toContain(response.status);
    }
    expect((await serve(new Request('app://tickline/..%2f..%2fpackage.json'))).status).toBe(400);
    const post = await serve(new Request('app://tickline/index.html', { method: 'POST' }));
    expect(post.status).toBe(405);
  });

  it('grants only a few permissions, and only to the app', () => {
    const ses = fake.sessions.get('persist:tickline-window-1')!;
    const ask = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined;
      ses.permissionRequest!({}, permission, (g: boolean) => (granted = g), { requestingUrl });
      return granted;
    };
    expect(ask('notifications', 'app://tickline/index.html')).toBe(true);
    expect(ask('media', 'app://tickline/index.html')).toBe(false);
    expect(ask('geolocation', 'app://tickline/index.html')).toBe(false);
    expect(ask('openExternal', 'app://tickline/index.html')).toBe(false);
    expect(ask('notifications', 'https://evil.example/')).toBe(false);
    expect(ses.permissionCheck!(null, 'notifications', 'app://tickline')).toBe(true);
    expect(ses.permissionCheck!(null, 'hid', 'app://tickline')).toBe(false);
  });

  it('denies navigation, pop-ups and webviews in every web contents', () => {
    let openHandler: Listener | undefined;
    const contents = Object.assign(new EventEmitter(), {
      setWindowOpenHandler: (fn: Listener) => {
        openHandler = fn;
      },
    });
    for (const fn of fake.appEvents.get('web-contents-created') ?? []) fn({}, contents);
    const prevented = (event: string, extra: Record<string, unknown> = {}) => {
      let called = false;
      contents.emit(event, { preventDefault: () => (called = true), ...extra });
      return called;
    };
    expect(prevented('will-navigate', { url: 'https://evil.example/' })).toBe(true);
    expect(prevented('will-navigate', { url: 'app://tickline/other.html' })).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
    expect(prevented('will-frame-navigate', { isMainFrame: false })).toBe(true);
    expect(openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('answers IPC only from the top frame of an app page', async () => {
    await expect(invoke(CHANNELS.getServerChoice, eventFrom(0))).resolves.toBeNull();
    await expect(
      invoke(CHANNELS.getServerChoice, eventFrom(0, 'https://evil.example/')),
    ).rejects.toThrow(/untrusted/);
    await expect(
      invoke(CHANNELS.getServerChoice, eventFrom(0, 'app://tickline/index.html', true)),
    ).rejects.toThrow(/untrusted/);
    await expect(
      invoke(CHANNELS.getServerChoice, {
        sender: { id: 999, mainFrame: null },
        senderFrame: null,
      }),
    ).rejects.toThrow(/untrusted/);
    await expect(invoke(CHANNELS.getServerChoice, eventFrom(0), 'extra')).rejects.toThrow(
      /invalid arguments/,
    );
  });

  it('validates arguments and answers BridgeResults', async () => {
    for (const bad of ['7420', -1, 70000, 1.5, undefined]) {
      await expect(invoke(CHANNELS.hostServer, eventFrom(0), bad, {})).resolves.toMatchObject({
        ok: false,
        code: 'invalid',
      });
    }
    await expect(
      invoke(CHANNELS.hostServer, eventFrom(0), 7420, { address: '0.0.0.0/0' }),
    ).resolves.toMatchObject({ ok: false, code: 'invalid' });
    await expect(
      invoke(CHANNELS.connectServer, eventFrom(0), 42, null, false),
    ).resolves.toMatchObject({ ok: false, code: 'invalid' });
    await expect(
      invoke(CHANNELS.connectServer, eventFrom(0), 'file:///etc/passwd', null, false),
    ).resolves.toMatchObject({ ok: false, code: 'invalid' });
    await expect(
      invoke(CHANNELS.probeServer, eventFrom(0), 'h:1', 'not a fingerprint'),
    ).resolves.toMatchObject({ ok: false, code: 'invalid' });
  });

  it('opens only http(s) links externally', async () => {
    await expect(
      invoke(CHANNELS.openExternal, eventFrom(0), 'file:///etc/passwd'),
    ).rejects.toThrow();
    await expect(
      invoke(CHANNELS.openExternal, eventFrom(0), 'javascript:alert(1)'),
    ).rejects.toThrow();
    await invoke(CHANNELS.openExternal, eventFrom(0), 'https://example.com/x');
    expect(fake.opened).toEqual(['https://example.com/x']);
  });

  it('hosts the embedded server in a utility process and remembers it', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    hostedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const result = await invoke(CHANNELS.hostServer, eventFrom(0), hostedPort, {});
    expect(result).toMatchObject({
      ok: true,
      value: { url: `https://127.0.0.1:${hostedPort}`, port: hostedPort, address: '127.0.0.1' },
    });
    expect(fake.forks.at(-1)).toMatch(/serverProcess\.js$/);
    fingerprint = (result as { value: { fingerprint: string } }).value.fingerprint;
    expect(
      await checkHealth(`https://127.0.0.1:${hostedPort}`, { pin: fingerprint }),
    ).toMatchObject({ ok: true });
    await expect(invoke(CHANNELS.getServerChoice, eventFrom(0))).resolves.toMatchObject({
      mode: 'host',
      port: hostedPort,
      fingerprint,
    });
  });

  it("accepts exactly the host's own certificate in every session", async () => {
    const pem = readFileSync(path.join(fake.userData.dir, 'server-data', 'tls-cert.pem'), 'utf8');
    const electronCert = (data: string) => ({
      data,
      fingerprint: `sha256/${createHash('sha256').update(new X509Certificate(data).raw).digest('base64')}`,
    });
    // Another certificate for the same address: an impostor's.
    const other = await startServer({ tls: 'auto' });
    const otherPem = readFileSync(path.join(other.dataDir, 'tls-cert.pem'), 'utf8');
    await other.close();
    const verdict = (partition: string, hostname: string, data: string) =>
      new Promise<number>((resolve) =>
        fake.sessions.get(partition)!.verifyProc!(
          { hostname, certificate: electronCert(data) },
          resolve,
        ),
      );
    for (const partition of ['', 'persist:tickline-window-1']) {
      // Re-installed after the new pin (Chromium caches verdicts).
      expect(fake.sessions.get(partition)!.verifyInstalls).toBeGreaterThan(1);
      expect(await verdict(partition, '127.0.0.1', pem)).toBe(VERIFY.accept);
      expect(await verdict(partition, '127.0.0.1', otherPem)).toBe(VERIFY.refuse);
      expect(await verdict(partition, 'example.com', otherPem)).toBe(VERIFY.chromium);
    }
    expect(fingerprint).toBe(new X509Certificate(pem).fingerprint256);
  });

  it('pauses and resumes hosting from the tray, telling every window', async () => {
    const pause = fake.trayMenus.at(-1)!.getMenuItemById('pause-hosting');
    expect(fake.trayMenus.at(-1)!.getMenuItemById('resume-hosting')).toBeNull();
    pause!.click();
    const sent = fake.windows[0]!.webContents.sent;
    await vi.waitFor(
      () => expect(sent).toContainEqual([EVENTS.hostEvent, { type: 'paused' }]),
      ONE_STEP,
    );
    const url = `https://127.0.0.1:${hostedPort}`;
    expect(await checkHealth(url, { pin: fingerprint })).toMatchObject({ ok: false });
    await vi.waitFor(
      () => expect(fake.trayMenus.at(-1)!.getMenuItemById('resume-hosting')).not.toBeNull(),
      ONE_STEP,
    );
    fake.trayMenus.at(-1)!.getMenuItemById('resume-hosting')!.click();
    await vi.waitFor(
      () => expect(sent).toContainEqual([EVENTS.hostEvent, { type: 'resumed', port: hostedPort }]),
      ONE_STEP,
    );
    expect(await checkHealth(url, { pin: fingerprint })).toMatchObject({ ok: true });
    await vi.waitFor(
      () => expect(fake.trayMenus.at(-1)!.getMenuItemById('pause-hosting')).not.toBeNull(),
      ONE_STEP,
    );
  });

  it('opens a new window with the next partition from the menu and the bridge', async () => {
    const menu = fake.electron.Menu.getApplicationMenu();
    menu!.getMenuItemById('new-window')!.click();
    expect(fake.windows).toHaveLength(2);
    expect(
      (fake.windows[1]!.options.webPreferences.session as { partition: string }).partition,
    ).toBe('persist:tickline-window-2');
    await invoke(CHANNELS.openNewWindow, eventFrom(1));
    expect(
      (fake.windows[2]!.options.webPreferences.session as { partition: string }).partition,
    ).toBe('persist:tickline-window-3');
  });

  it('sums the windows\u2019 unread counts into the badge', () => {
    const report = fake.listeners.get(CHANNELS.setUnreadCount)!;
    report(eventFrom(0), 2);
    report(eventFrom(1), 5);
    report(eventFrom(1, 'https://evil.example/'), 100); // ignored
    report(eventFrom(0), -3); // invalid, ignored
    expect(fake.badge.at(-1)).toBe(7);
    fake.windows[1]!.closed.emit('closed');
    expect(fake.badge.at(-1)).toBe(2);
  });

  it('stops the embedded server before quitting', async () => {
    const before = fake.quitCalls();
    let prevented = false;
    for (const fn of fake.appEvents.get('before-quit') ?? []) {
      fn({ preventDefault: () => (prevented = true) });
    }
    expect(prevented).toBe(true);
    await vi.waitFor(() => expect(fake.quitCalls()).toBe(before + 1), ONE_STEP);
    expect(
      await checkHealth(`https://127.0.0.1:${hostedPort}`, { pin: fingerprint }),
    ).toMatchObject({ ok: false, code: 'unreachable' });
  });
});
