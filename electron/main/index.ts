/**
 * Tickline's Electron main process. Deliberately thin: every decision that
 * does not need Electron lives in the plain modules next to this file (and is
 * unit-tested); this file wires them to Electron's APIs.
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  session,
  shell,
  Tray,
  utilityProcess,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type Session,
} from 'electron';
import type { z } from 'zod';
import appIconPath from '../../build/icon.png?asset';
import trayIconPath from '../../build/tray.png?asset';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME,
  isAppUrl,
  isSafeExternalUrl,
  resolveAppPath,
  responseHeaders,
} from './appProtocol';
import { EmbeddedServer, type ServerChild } from './embeddedServer';
import { ARGS, CHANNELS, EVENTS, nextWindowNumber, partitionFor } from './ipc';
import { ServerChoiceController } from './serverChoice';
import { badgeText, trayTooltip, UnreadCounts } from './unread';

const MAIN_DIR = fileURLToPath(new URL('.', import.meta.url));
const RENDERER_DIR = join(MAIN_DIR, '../renderer');
const PRELOAD = join(MAIN_DIR, '../preload/index.cjs');
const SERVER_ENTRY = join(MAIN_DIR, 'serverProcess.js');

/** `electron-vite dev` serves the renderer from Vite; never in a packaged app. */
const DEV_RENDERER_URL = app.isPackaged
  ? undefined
  : process.env.ELECTRON_RENDERER_URL || undefined;
const DEV_ORIGIN = DEV_RENDERER_URL ? new URL(DEV_RENDERER_URL).origin : undefined;

/** End-to-end tests (and people who want a second profile) can move the user-data folder. */
if (process.env.TICKLINE_USER_DATA_DIR) app.setPath('userData', process.env.TICKLINE_USER_DATA_DIR);

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
  const embedded = new EmbeddedServer({
    spawn: spawnServerProcess,
    dataDir: join(userData, 'server-data'),
    host: '0.0.0.0',
    corsOrigins: DEV_ORIGIN ? [APP_ORIGIN, DEV_ORIGIN] : [APP_ORIGIN],
    logFile: join(userData, 'server.log'),
  });
  const choice = new ServerChoiceController({
    settingsFile: join(userData, 'settings.json'),
    embedded,
    networkInterfaces,
  });
  const unread = new UnreadCounts();
  const windows = new Map<BrowserWindow, number>();
  const configuredSessions = new Set<string>();
  let tray: Tray | undefined;
  let serverStopped = false;
  let quitting = false;

  // The server died and is restarted (or given up): every window shows it.
  embedded.onEvent((event) => {
    for (const win of windows.keys()) win.webContents.send(EVENTS.hostEvent, event);
  });

  // ---------------------------------------------------------------- windows

  function configureSession(partition: string): Session {
    const ses = session.fromPartition(partition);
    if (configuredSessions.has(partition)) return ses;
    configuredSessions.add(partition);
    // Custom protocols are per session: every window partition serves the bundle.
    ses.protocol.handle(APP_SCHEME, serveApp);
    ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
      callback(isAllowedPermission(permission, details.requestingUrl));
    });
    ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
      isAllowedPermission(permission, requestingOrigin),
    );
    return ses;
  }

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
      },
    });
    windows.set(win, n);
    const contentsId = win.webContents.id;
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      windows.delete(win);
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

  // ------------------------------------------------------- app:// protocol

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

  // ------------------------------------------------------- embedded server

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

  // -------------------------------------------------------------------- IPC

  /** Only the top frame of one of our own pages may use the bridge. */
  function trustedSender(event: IpcMainInvokeEvent | IpcMainEvent): boolean {
    const frame = event.senderFrame;
    return (
      frame !== null &&
      frame === event.sender.mainFrame &&
      isAppUrl(frame.url, DEV_ORIGIN) &&
      BrowserWindow.fromWebContents(event.sender) !== null
    );
  }

  function handle<K extends keyof typeof ARGS>(
    name: K,
    run: (args: z.infer<(typeof ARGS)[K]>, event: IpcMainInvokeEvent) => Promise<unknown>,
    onInvalid?: (error: string) => unknown,
  ): void {
    ipcMain.handle(CHANNELS[name], async (event, ...raw: unknown[]) => {
      if (!trustedSender(event)) throw new Error('Tickline: IPC from an untrusted frame');
      const parsed = ARGS[name].safeParse(raw);
      if (!parsed.success) {
        const error = parsed.error.issues[0]?.message ?? 'invalid arguments';
        if (onInvalid) return onInvalid(error);
        throw new Error(`Tickline: invalid arguments for ${name}`);
      }
      return run(parsed.data as z.infer<(typeof ARGS)[K]>, event);
    });
  }

  handle('getServerChoice', () => choice.getServerChoice());
  handle(
    'hostServer',
    ([port]) => choice.hostServer(port),
    () => ({
      ok: false,
      code: 'invalid',
      error: 'The port must be a whole number from 1 to 65535.',
    }),
  );
  handle(
    'connectServer',
    ([address]) => choice.connectServer(address),
    () => ({ ok: false, code: 'invalid', error: 'This is not a valid server address.' }),
  );
  handle('resetServerChoice', () => choice.resetServerChoice());
  handle('openExternal', async ([url]) => {
    if (!isSafeExternalUrl(url)) throw new Error('Tickline: only http(s) links can be opened');
    await shell.openExternal(url);
  });
  handle('openNewWindow', async () => {
    createWindow();
  });
  ipcMain.on(CHANNELS.setUnreadCount, (event, ...raw: unknown[]) => {
    if (!trustedSender(event)) return;
    const parsed = ARGS.setUnreadCount.safeParse(raw);
    if (parsed.success) updateBadge(unread.set(event.sender.id, parsed.data[0]));
  });

  // ------------------------------------------------------- badge and tray

  function updateBadge(total: number): void {
    // Dock (macOS) and Unity launchers (Linux); a no-op elsewhere.
    app.setBadgeCount(total);
    if (tray) {
      tray.setToolTip(trayTooltip(total));
      if (process.platform === 'darwin') tray.setTitle(badgeText(total));
    }
    if (process.platform === 'win32') {
      for (const win of windows.keys()) win.flashFrame(total > 0 && !win.isFocused());
    }
  }

  function createTray(): void {
    try {
      tray = new Tray(nativeImage.createFromPath(trayIconPath));
    } catch (error) {
      // Some Linux desktops have no status area; the app works without it.
      console.warn('Tickline: no tray icon:', error);
      return;
    }
    tray.setToolTip(trayTooltip(unread.total()));
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Tickline', click: focusOrCreateWindow },
        { label: 'New Window', click: () => createWindow() },
        { type: 'separator' },
        { label: 'Quit Tickline', role: 'quit' },
      ]),
    );
    tray.on('click', focusOrCreateWindow);
  }

  // ------------------------------------------------------------------ menu

  function createMenu(): void {
    const isMac = process.platform === 'darwin';
    const template: MenuItemConstructorOptions[] = [
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          {
            id: 'new-window',
            label: 'New Window',
            accelerator: 'CmdOrCtrl+Shift+N',
            click: () => createWindow(),
          },
          { type: 'separator' },
          { role: 'close' },
          ...(isMac ? [] : [{ role: 'quit' as const }]),
        ],
      },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
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
    createMenu();
    createTray();
    // Host mode: colleagues can connect as soon as the app runs.
    void choice.restore();
    createWindow();
  });
}

const ALLOWED_PERMISSIONS = new Set<string>([
  'notifications',
  'clipboard-sanitized-write',
  'fullscreen',
  // Chromium's Local Network Access permission (connecting to LAN servers),
  // under the names it has used; the app exists to talk to LAN servers.
  'local-network-access',
  'local-network',
  'loopback-network',
]);

function isAllowedPermission(permission: string, requestingUrl: string | undefined): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl, DEV_ORIGIN);
}
