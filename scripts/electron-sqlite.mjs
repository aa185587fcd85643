// better-sqlite3 built for Electron, kept apart from Node's copy in
// node_modules/better-sqlite3 (which the test suites use). `npm start` runs
// scripts/prestart.mjs, which uses this module to (re)build it when it is
// missing or stale; desktop/sqliteBinding.ts reads the same folder and
// stamp at run time. See docs/DESKTOP.md ("Running it from the sources").
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Same folder as ELECTRON_SQLITE_DIR in desktop/sqliteBinding.ts. */
export const ELECTRON_SQLITE_DIR = 'node_modules/.cache/tickline-electron-sqlite';

const require = createRequire(import.meta.url);

/**
 * The Electron binary and version, or why it cannot run: the `electron`
 * package exports the binary's path and throws when it was installed without
 * it (ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 */
export function findElectron() {
  let executable;
  try {
    executable = require('electron');
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  if (typeof executable !== 'string' || !existsSync(executable)) {
    return { ok: false, reason: `${String(executable)} does not exist` };
  }
  const { version } = require('electron/package.json');
  return { ok: true, executable, version };
}

/** better-sqlite3's folder and version in node_modules. */
export function betterSqlite3() {
  const file = require.resolve('better-sqlite3/package.json');
  return { dir: dirname(file), version: JSON.parse(readFileSync(file, 'utf8')).version };
}

/** The stamp a build for `electronVersion` on this machine must carry. */
export function expectedStamp(electronVersion) {
  return {
    electron: electronVersion,
    betterSqlite3: betterSqlite3().version,
    platform: process.platform,
    arch: process.arch,
  };
}

/** `fresh`, `missing` or `stale`: the state of the Electron build under `root`. */
export function bindingState(root, stamp) {
  const dir = join(root, ELECTRON_SQLITE_DIR);
  if (!existsSync(join(dir, 'better_sqlite3.node')) || !existsSync(join(dir, 'stamp.json'))) {
    return 'missing';
  }
  let saved;
  try {
    saved = JSON.parse(readFileSync(join(dir, 'stamp.json'), 'utf8'));
  } catch (error) {
    // A damaged stamp is not trusted: the build is made again over it.
    process.stderr.write(`${join(dir, 'stamp.json')} is damaged (${String(error)}); rebuilding.\n`);
    return 'stale';
  }
  const same = Object.keys(stamp).every((key) => saved?.[key] === stamp[key]);
  return same && Object.keys(saved).length === Object.keys(stamp).length ? 'fresh' : 'stale';
}

/** Installs the built `file` and its stamp under `root` (the stamp last: it marks the build done). */
export function installBinding(root, file, stamp) {
  const dir = join(root, ELECTRON_SQLITE_DIR);
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, 'stamp.json'), { force: true });
  cpSync(file, join(dir, 'better_sqlite3.node.tmp'));
  renameSync(join(dir, 'better_sqlite3.node.tmp'), join(dir, 'better_sqlite3.node'));
  writeFileSync(join(dir, 'stamp.json.tmp'), `${JSON.stringify(stamp, null, 2)}\n`);
  renameSync(join(dir, 'stamp.json.tmp'), join(dir, 'stamp.json'));
}

/**
 * Builds better-sqlite3 for Electron with @electron/rebuild (what Electron
 * Forge and electron-builder use: a prebuilt binary for Electron's ABI when
 * one is published, otherwise node-gyp against Electron's headers) in a
 * private copy of the package, so node_modules/better-sqlite3 is not touched.
 * `options.headerURL` replaces Electron's header server (a mirror).
 */
export async function buildBinding(root, stamp, options = {}) {
  const dir = join(root, ELECTRON_SQLITE_DIR);
  const stage = join(dir, 'stage');
  rmSync(stage, { recursive: true, force: true });
  const source = betterSqlite3();
  const copy = join(stage, 'node_modules', 'better-sqlite3');
  cpSync(source.dir, copy, {
    recursive: true,
    filter: (path) => path !== join(source.dir, 'build'),
  });
  writeFileSync(
    join(stage, 'package.json'),
    JSON.stringify({
      name: 'tickline-electron-sqlite',
      private: true,
      dependencies: { 'better-sqlite3': source.version },
    }),
  );
  try {
    const { rebuild } = await import('@electron/rebuild');
    await rebuild({
      buildPath: stage,
      electronVersion: stamp.electron,
      arch: stamp.arch,
      platform: stamp.platform,
      onlyModules: ['better-sqlite3'],
      force: true,
      ...(options.headerURL ? { headerURL: options.headerURL } : {}),
    });
    installBinding(root, join(copy, 'build', 'Release', 'better_sqlite3.node'), stamp);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Builds the Electron copy when it is missing or stale; answers what it found. */
export async function ensureBinding(root, stamp, build = buildBinding) {
  const state = bindingState(root, stamp);
  if (state !== 'fresh') await build(root, stamp);
  return state;
}
