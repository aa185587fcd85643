/**
 * Runs the built main process (`process.argv[2]`, out/main/index.js) under
 * Node with the stand-in `electron` (see register.mjs) and answers the test's
 * requests over the fork's IPC channel: `state`, `fetch` (through the window
 * session's `app://` handler), `invoke` (an IPC call from window 1's top
 * frame), `verify` (a session's certificate check), `tray` (a tray item's
 * click), `sent` (what window 1 was sent) and `quit`.
 */
import { pathToFileURL } from 'node:url';
import { record } from './electron.mjs';

const entry = process.argv[2];
if (!entry) throw new Error('harness: usage: harness.mjs <out/main/index.js>');

await import(pathToFileURL(entry).href);
record.ready();

/** JSON-safe description of a window's options (the session object becomes its partition). */
function describeWindow(win) {
  const { session: ses, ...webPreferences } = win.options.webPreferences;
  return { ...win.options, webPreferences, partition: ses?.partition, url: win.url };
}

function firstWindow() {
  const win = record.windows[0];
  if (!win) throw new Error('harness: no window was created');
  return win;
}

const requests = {
  state: async () => ({
    privileged: record.privileged,
    windows: record.windows.map(describeWindow),
    sessions: [...record.sessions.values()].map((ses) => ({
      partition: ses.partition,
      schemes: [...ses.schemes.keys()],
      verifies: typeof ses.verifyProc === 'function',
    })),
    userData: record.paths.get('userData'),
    trayItems: (record.trays[0]?.menu?.template ?? []).map((item) => item.id ?? item.label),
    channels: [...record.handlers.keys(), ...record.listeners.keys()].sort(),
    forks: record.forks,
    trayIcon: record.trays[0]?.image?.path,
    menu: record.applicationMenu?.template?.map((item) => item.label ?? item.role),
  }),
  fetch: async ({ url, method = 'GET' }) => {
    const win = firstWindow();
    const handler = record.sessions
      .get(win.options.webPreferences.session.partition)
      ?.schemes.get(new URL(url).protocol.slice(0, -1));
    if (!handler) throw new Error(`harness: no handler for ${url}`);
    const response = await handler(new Request(url, { method }));
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: Buffer.from(await response.arrayBuffer()).toString('base64'),
    };
  },
  invoke: async ({ channel, args }) => {
    const win = firstWindow();
    const handler = record.handlers.get(channel);
    if (!handler) throw new Error(`harness: no handler for ${channel}`);
    const event = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
    return { value: await handler(event, ...args) };
  },
  /** The certificate check of session `partition` for a certificate `{data, fingerprint}`. */
  verify: ({ partition, hostname, certificate }) =>
    new Promise((resolve) =>
      record.sessions.get(partition).verifyProc({ hostname, certificate }, resolve),
    ),
  /** Clicks the tray menu's item `id`. */
  tray: async ({ item: id }) => {
    const item = record.trays[0].menu.template.find((entry) => entry.id === id);
    if (!item) throw new Error(`harness: no tray item ${id}`);
    item.click();
    return {};
  },
  /** What the main process sent to window 1, once it has sent `count` messages. */
  sent: ({ count }) =>
    new Promise((resolve) => {
      const check = () => {
        const { sent } = firstWindow();
        if (sent.length < count) return;
        record.appEvents.off('stand-in:sent', check);
        resolve(sent);
      };
      record.appEvents.on('stand-in:sent', check);
      check();
    }),
  quit: () =>
    new Promise((resolve) => {
      record.onQuit = () => resolve({ forks: record.forks });
      record.appEvents.emit('window-all-closed');
    }),
};

process.on('message', (request) => {
  const run = requests[request.type];
  // The app quit (the stand-in did not exit for it, so that the answer could go out).
  const after = () => {
    if (request.type === 'quit') process.exit(0);
  };
  Promise.resolve()
    .then(() => {
      if (!run) throw new Error(`harness: unknown request ${request.type}`);
      return run(request);
    })
    .then(
      (answer) => process.send({ id: request.id, ok: true, answer }, after),
      (error) =>
        process.send({ id: request.id, ok: false, error: String(error?.stack ?? error) }, after),
    );
});

process.send({ type: 'loaded' });
