/**
 * A stand-in for the parts of Electron's main-process API that
 * out/main/index.js uses, recording what the app does with them. Windows do
 * not render; `utilityProcess.fork` starts a real Node child (with
 * `utilityProcessShim.mjs` as its `process.parentPort`). `harness.mjs` drives
 * it through `record`.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';

const SHIM = new URL('../utilityProcessShim.mjs', import.meta.url).href;

/** Everything the app did, for the harness. */
export const record = {
  paths: new Map([['userData', '/nonexistent-user-data']]),
  privileged: [],
  appEvents: new EventEmitter(),
  windows: [],
  sessions: new Map(),
  handlers: new Map(),
  listeners: new Map(),
  forks: [],
  applicationMenu: null,
  trays: [],
  quitRequests: 0,
  /** Resolves `app.whenReady()`. */
  ready: () => undefined,
  /** Called when a quit went through (no `before-quit` listener prevented it): like Electron, exit. */
  onQuit: () => process.exit(0),
};

const ready = new Promise((resolve) => {
  record.ready = resolve;
});

export const app = {
  // The harness's STAND_IN_PACKAGED=1 plays an installed app.
  isPackaged: process.env.STAND_IN_PACKAGED === '1',
  getPath: (name) => record.paths.get(name) ?? `/nonexistent-${name}`,
  setPath: (name, value) => record.paths.set(name, value),
  requestSingleInstanceLock: () => true,
  setAppUserModelId: () => undefined,
  on: (event, listener) => {
    record.appEvents.on(event, listener);
    return app;
  },
  whenReady: () => ready,
  isReady: () => true,
  setBadgeCount: () => true,
  quit: () => {
    record.quitRequests += 1;
    let prevented = false;
    record.appEvents.emit('before-quit', {
      preventDefault: () => {
        prevented = true;
      },
    });
    if (!prevented) record.onQuit();
  },
};

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => record.privileged.push(...schemes),
};

export const session = {
  get defaultSession() {
    return session.fromPartition('');
  },
  fromPartition: (partition) => {
    let ses = record.sessions.get(partition);
    if (!ses) {
      ses = {
        partition,
        schemes: new Map(),
        protocol: { handle: (scheme, handler) => ses.schemes.set(scheme, handler) },
        setPermissionRequestHandler: (handler) => {
          ses.permissionRequest = handler;
        },
        setPermissionCheckHandler: (handler) => {
          ses.permissionCheck = handler;
        },
        verifyInstalls: 0,
        setCertificateVerifyProc: (proc) => {
          ses.verifyProc = proc;
          ses.verifyInstalls += 1;
        },
      };
      record.sessions.set(partition, ses);
    }
    return ses;
  },
};

let nextContentsId = 1;

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.sent = [];
    this.webContents = {
      id: nextContentsId++,
      mainFrame: { url: '' },
      send: (channel, ...args) => {
        this.sent.push([channel, ...args]);
        record.appEvents.emit('stand-in:sent');
      },
    };
    this.webContents.mainFrame.top = this.webContents.mainFrame;
    record.windows.push(this);
    record.appEvents.emit('web-contents-created', {}, fakeContents());
  }
  loadURL(url) {
    this.url = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isFocused() {
    return false;
  }
  flashFrame() {}
  static fromWebContents(contents) {
    return record.windows.find((win) => win.webContents === contents) ?? null;
  }
  static getFocusedWindow() {
    return null;
  }
}

function fakeContents() {
  const contents = new EventEmitter();
  contents.setWindowOpenHandler = (handler) => {
    contents.windowOpenHandler = handler;
  };
  return contents;
}

export const ipcMain = {
  handle: (channel, handler) => record.handlers.set(channel, handler),
  on: (channel, listener) => record.listeners.set(channel, listener),
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => {
    record.applicationMenu = menu;
  },
};

export const nativeImage = {
  createFromPath: (path) => ({ path }),
};

export class Tray extends EventEmitter {
  constructor(image) {
    super();
    this.image = image;
    record.trays.push(this);
  }
  setToolTip(text) {
    this.toolTip = text;
  }
  setContextMenu(menu) {
    this.menu = menu;
  }
  setTitle(title) {
    this.title = title;
  }
}

export const shell = {
  openExternal: async () => undefined,
};

/** A real Node child in place of Electron's utility process. */
export const utilityProcess = {
  fork: (modulePath, args, options) => {
    const child = fork(modulePath, args ?? [], {
      execArgv: ['--import', SHIM],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle = new EventEmitter();
    const entry = { modulePath, options, pid: child.pid, exitCode: undefined };
    record.forks.push(entry);
    child.on('message', (message) => handle.emit('message', message));
    child.on('exit', (code, signal) => {
      entry.exitCode = code ?? signal;
      handle.emit('exit', code ?? 1);
    });
    handle.postMessage = (message) => {
      if (child.connected) child.send(message);
    };
    handle.kill = () => child.kill('SIGKILL');
    handle.pid = child.pid;
    return handle;
  },
};

export default {
  app,
  protocol,
  session,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  Tray,
  shell,
  utilityProcess,
};
