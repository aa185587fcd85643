/**
 * Entry of the embedded server's Electron utility process. It runs the
 * im-server from `server/` and talks to the main process only through
 * `process.parentPort` (see `serverWorker.ts` for the messages).
 */
import { fileURLToPath } from 'node:url';
import { createServerWorker } from './serverWorker';
import { electronSqliteBinding, useSqliteBinding } from './sqliteBinding';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  process.stderr.write('serverProcess must run in an Electron utility process\n');
  process.exit(1);
}

// In Electron from the sources (`npm start`, `npm run dev`), better-sqlite3's
// own build is Node's: use the Electron build `prestart` made, when it is fresh.
// This file is out/main/serverProcess.js (built from desktop/serverProcess.ts).
if (process.versions.electron) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const binding = electronSqliteBinding(root, {
    electron: process.versions.electron,
    platform: process.platform,
    arch: process.arch,
  });
  if (binding) {
    useSqliteBinding(binding);
    // The store writer's worker thread opens its connection with it too.
    process.env.TICKLINE_SQLITE_BINDING = binding;
  }
}

// Tests of the built app set TICKLINE_DISCOVERY=off: they must not advertise
// on the network of the machine that runs them.
const worker = createServerWorker(
  {
    post(message) {
      parentPort.postMessage(message);
      // After `closed` the store is flushed and closed: nothing left to do.
      if (message.type === 'closed') setImmediate(() => process.exit(0));
    },
  },
  {
    ...(process.env.TICKLINE_DISCOVERY === 'off' ? { discovery: false } : {}),
    // Built, the store writer's worker is beside this file (out/main/writerWorker.js,
    // an entry of electron.vite.config.ts); from the sources the server finds its own.
    ...(import.meta.url.endsWith('.js')
      ? { writerScript: fileURLToPath(new URL('./writerWorker.js', import.meta.url)) }
      : {}),
  },
);

parentPort.on('message', (event) => {
  void worker.handle(event.data);
});
