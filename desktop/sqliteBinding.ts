/**
 * better-sqlite3 for Electron, kept apart from Node's. `npm start` (its
 * `prestart` step, scripts/prestart.mjs) builds the native module for
 * Electron's ABI into {@link ELECTRON_SQLITE_DIR} with a stamp naming what it
 * was built for; `node_modules/better-sqlite3` stays built for Node, so the
 * test suites keep working. The embedded server's process, when it runs in
 * Electron from the sources, loads that build instead of Node's. Installers
 * do not need this: electron-builder rebuilds the packaged copy in place.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** Where the Electron build lives, relative to the project root (scripts/prestart.mjs writes it). */
export const ELECTRON_SQLITE_DIR = 'node_modules/.cache/tickline-electron-sqlite';

/** What a build was made for; any difference means it is stale. */
export const bindingStampSchema = z.object({
  electron: z.string().min(1),
  betterSqlite3: z.string().min(1),
  platform: z.string().min(1),
  arch: z.string().min(1),
});
/** The contents of `stamp.json` next to the build. */
export type BindingStamp = z.infer<typeof bindingStampSchema>;

/** The versions, platform and architecture the running process needs a build for. */
export interface BindingTarget {
  electron: string;
  platform: string;
  arch: string;
}

/** better-sqlite3's installed version. */
export function betterSqlite3Version(): string {
  const require = createRequire(import.meta.url);
  const file = require.resolve('better-sqlite3/package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The Electron build of better-sqlite3 under `root` when it exists and was
 * made for `target` and the installed better-sqlite3; otherwise undefined.
 */
export function electronSqliteBinding(root: string, target: BindingTarget): string | undefined {
  const dir = join(root, ELECTRON_SQLITE_DIR);
  const file = join(dir, 'better_sqlite3.node');
  if (!existsSync(file)) return undefined;
  let stamp: BindingStamp;
  try {
    stamp = bindingStampSchema.parse(JSON.parse(readFileSync(join(dir, 'stamp.json'), 'utf8')));
  } catch (error) {
    process.stderr.write(`Tickline: ignoring ${dir}: ${String(error)}\n`);
    return undefined;
  }
  const fresh =
    stamp.electron === target.electron &&
    stamp.platform === target.platform &&
    stamp.arch === target.arch &&
    stamp.betterSqlite3 === betterSqlite3Version();
  return fresh ? file : undefined;
}

/**
 * Makes better-sqlite3 load the native module `file` instead of its own
 * `build/Release/better_sqlite3.node`: `file` is loaded and registered in
 * Node's module cache under the default path (which better-sqlite3's loader,
 * `bindings`, requires). Must run before the first database is opened.
 */
export function useSqliteBinding(file: string): void {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
  const defaultPath = realpathSync(join(packageDir, 'build', 'Release', 'better_sqlite3.node'));
  const resolved = realpathSync(file);
  require(resolved);
  const loaded = require.cache[resolved];
  if (!loaded) throw new Error(`Tickline: ${resolved} did not load as a module`);
  require.cache[defaultPath] = loaded;
}
