// `npm start` runs this first. Where Electron's binary is missing it says so
// in one sentence and points to the browser version; otherwise it makes sure
// better-sqlite3 is built for this Electron (apart from Node's copy, so
// `npm test` keeps working) before `electron-vite preview` builds and runs
// the app.
import { fileURLToPath } from 'node:url';
import { ensureBinding, expectedStamp, findElectron } from './electron-sqlite.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const electron = findElectron();

if (!electron.ok) {
  process.stderr.write(
    "Tickline's desktop app cannot start here because Electron's binary is not installed " +
      '(npm skipped or could not download it); run `npm run serve` to use the same app in a browser.\n',
  );
  process.exit(1);
}

try {
  const stamp = expectedStamp(electron.version);
  const state = await ensureBinding(root, stamp);
  if (state !== 'fresh') {
    process.stdout.write(
      `better-sqlite3 built for Electron ${electron.version} (it was ${state}).\n`,
    );
  }
} catch (error) {
  process.stderr.write(
    `Tickline could not build better-sqlite3 for Electron ${electron.version}: ` +
      `${error instanceof Error ? error.message : String(error)} ` +
      '(it needs a prebuilt binary from GitHub or a C++ toolchain and Electron headers; see docs/DESKTOP.md).\n',
  );
  process.exit(1);
}
