/**
 * Tickline's Electron main process. Deliberately thin: every decision that
 * does not need Electron lives in `desktop/` (and is unit-tested); this file
 * wires it to Electron's windows, sessions, protocol and lifecycle.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, protocol, session, utilityProcess, type Session } from 'electron';
import appIconPath from '../../build/icon.png?asset';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME,
  isAppUrl,
  resolveAppPath,
  responseHeaders,
} from '../../desktop/appProtocol';
import { certificateDecision } from '../../desktop/certificateCheck';
import { EVENTS } from '../../desktop/channels';
import { EmbeddedServer, type ServerChild } from '../../desktop/embeddedServer';
import { LanBrowser } from '../../desktop/lanBrowser';
import { PinStore } from '../../desktop/pins';
import { ServerChoiceController } from '../../desktop/serverChoice';
import { UnreadCounts } from '../../desktop/unread';
import { isAllowedPermission, nextWindowNumber, partitionFor } from '../../desktop/windows';
import type { HostEvent } from '../../protocol/desktop';
import { registerIpc } from './ipc';
import { AppTray, createMenu } from './tray';

const MAIN_DIR = fileURLToPath(new URL('.', import.meta.url));
const RENDERER_DIR = join(MAIN_DIR, '../renderer');
const PRELOAD = join(MAIN_DIR, '../preload/index.cjs');
const SERVER_ENTRY = join(MAIN_DIR, 'serverProcess.js');

/** `electron-vite dev` serves the renderer from Vite; never in a packaged app. */
const DEV_RENDERER_URL = app.isPackaged
  ? undefined
  : process.env.ELECTRON_RENDERER_URL || undefined;
const DEV_ORIGIN = DEV_RENDERER_URL ? new URL(DEV_RENDERER_URL).origin : undefined;

/** End-to-end tests (and a second profile) can move the user-data folder; never when installed. */
if (!app.isPackaged && process.env.TICKLINE_USER_DATA_DIR) {
  app.setPath('userData', process.env.TICKLINE_USER_DATA_DIR);
}

// Must happen before `ready`, in one call. `standard` gives the scheme a real
// origin (storage, relative URLs); `secure` makes it a secure context.
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  main();
}

function main(): void {
  app.setAppUserModelId('app.tickline.desktop');

  const userData = app.getPath('userData');
  const pins = new PinStore(join(userData, 'pins.json'));
  const embedded = new EmbeddedServer({
    spawn: spawnServerProcess,
    dataDir: join(userData, 'server-data'),
    corsOrigins: DEV_ORIGIN ? [APP_ORIGIN, DEV_ORIGIN] : [APP_ORIGIN],
    logFile: join(userData, 'server.log'),
    // The renderer bundle is the web client too (same sources, relative paths).
    ...(existsSync(join(RENDERER_DIR, 'index.html')) ? { webRoot: RENDERER_DIR } : {}),
  });
  const choice = new ServerChoiceController({
    settingsFile: join(userData, 'settings.json'),
    pins,
    embedded,
    networkInterfaces,
  });
  const unread = new UnreadCounts();
  const windows = new Map<BrowserWindow, number>();
  const sessions = new Map<string, Session>();
  const lan = new LanBrowser((servers) => broadcast(EVENTS.foundServers, servers));
  let tray: AppTray | undefined;
  let serverStopped = false;
  let quitting = false;

  function broadcast(channel: string, data: unknown): void {
    for (const win of windows.keys()) win.webContents.send(channel, data);
  }
  const hostEvent = (event: HostEvent | null) => {
    if (event) broadcast(EVENTS.hostEvent, event);
    void choice.hostingState().then((state) => tray?.setHosting(state));
  };
  // The server died and is restarted (or given up): every window shows it.
  embedded.onEvent(hostEvent);

  // ------------------------------------------------------------ sessions

  /** Pinned hosts get exactly their pinned certificate; others Chromium's verdict. */
  function verifyCertificates(ses: Session): void {
    ses.setCertificateVerifyProc((request, callback) =>
      callback(certificateDecision(request, (host) => pins.forHost(host))),
    );
  }
  // Chromium caches verdicts: a new pin installs the check again, which clears them.
  pins.onChange(() => sessions.forEach(verifyCertificates));

  function configureSession(partition: string): Session {
    const known = sessions.get(partition);
    if (known) return known;
    const ses = partition === '' ? session.defaultSession : session.fromPartition(partition);
    sessions.set(partition, ses);
    verifyCertificates(ses);
    if (partition === '') return ses;
    // Custom protocols are per session: every window partition serves the bundle.
    ses.protocol.handle(APP_SCHEME, serveApp);
    ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
      callback(isAllowedPermission(permission, details.requestingUrl, DEV_ORIGIN));
    });
    ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
      isAllowedPermission(permission, requestingOrigin, DEV_ORIGIN),
    );
    return ses;
  }

  // ---------------------------------------------------------------- windows

  function createWindow(): BrowserWindow {
    const n = nextWindowNumber(windows.values());
    const win = new BrowserWindow({
      width: 1100,
      height: 760,
      minWidth: 420,
      minHeight: 480,
      show: false,
      title: n === 1 ? 'Tickline' : `Tickline (window ${n})`,
      icon: appIconPath,
      autoHideMenuBar: false,
      webPreferences: {
        preload: PRELOAD,
        session: configureSession(partitionFor(n)),
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
        devTools: !app.isPackaged,
      },
    });
    windows.set(win, n);
    const contentsId = win.webContents.id;
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      windows.delete(win);
      lan.watch(contentsId, false);
      updateBadge(unread.remove(contentsId));
    });
    void win.loadURL(DEV_RENDERER_URL ?? APP_INDEX_URL);
    return win;
  }

  function focusOrCreateWindow(): void {
    const win = BrowserWindow.getFocusedWindow() ?? [...windows.keys()].at(-1);
    if (!win) {
      createWindow();
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  async function serveApp(request: Request): Promise<Response> {
    const resolved = resolveAppPath(RENDERER_DIR, request.url, request.method);
    if (!resolved.ok) return new Response(null, { status: resolved.status });
    try {
      const data = await readFile(resolved.filePath);
      const body = request.method === 'HEAD' ? null : new Uint8Array(data);
      return new Response(body, { status: 200, headers: responseHeaders(resolved.filePath) });
    } catch {
      return new Response(null, { status: 404 });
    }
  }

  function spawnServerProcess(): ServerChild {
    const child = utilityProcess.fork(SERVER_ENTRY, [], {
      serviceName: 'Tickline server',
      stdio: 'inherit',
    });
    return {
      postMessage: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', listener),
      kill: () => {
        child.kill();
      },
    };
  }

  registerIpc({
    choice,
    lan,
    devOrigin: DEV_ORIGIN,
    createWindow: () => void createWindow(),
    setUnread: (id, count) => updateBadge(unread.set(id, count)),
    choiceChanged: () => hostEvent(null),
  });

  function updateBadge(total: number): void {
    // Dock (macOS) and Unity launchers (Linux); a no-op elsewhere.
    app.setBadgeCount(total);
    tray?.setUnread(total);
    if (process.platform === 'win32') {
      for (const win of windows.keys()) win.flashFrame(total > 0 && !win.isFocused());
    }
  }

  // ------------------------------------------------------ security policy

  app.on('web-contents-created', (_event, contents) => {
    // The app is a single page: nothing may navigate a window anywhere.
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!isAppUrl(event.url, DEV_ORIGIN)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // No pop-ups; links open in the system browser through the bridge only.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  // ------------------------------------------------------------ lifecycle

  app.on('second-instance', focusOrCreateWindow);

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (windows.size === 0 && app.isReady()) createWindow();
  });

  // Quitting stops the embedded server first: it closes its store cleanly.
  app.on('before-quit', (event) => {
    if (serverStopped) return;
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    lan.stop();
    choice
      .shutdown()
      .catch((error: unknown) => console.error('Tickline: stopping the server failed:', error))
      .finally(() => {
        serverStopped = true;
        app.quit();
      });
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());

  void app.whenReady().then(() => {
    // The main process's own requests (none today) go through the same pins.
    configureSession('');
    createMenu(() => void createWindow());
    tray = new AppTray({
      show: focusOrCreateWindow,
      newWindow: () => void createWindow(),
      pause: () => void choice.pauseHosting().then(hostEvent),
      resume: () => void choice.resumeHosting().then(hostEvent),
    });
    // Host mode: colleagues can connect as soon as the app runs.
    void choice.restore().then(() => hostEvent(null));
    createWindow();
  });
}
