/** Types of scripts/electron-sqlite.mjs (used by `npm start`'s prestart step and its tests). */

/** What a build was made for (same fields as `BindingStamp` in desktop/sqliteBinding.ts). */
export interface Stamp {
  electron: string;
  betterSqlite3: string;
  platform: string;
  arch: string;
}

/** Same folder as ELECTRON_SQLITE_DIR in desktop/sqliteBinding.ts. */
export const ELECTRON_SQLITE_DIR: string;
/** The Electron binary and version, or why it cannot run. */
export function findElectron():
  { ok: true; executable: string; version: string } | { ok: false; reason: string };
/** better-sqlite3's folder and version in node_modules. */
export function betterSqlite3(): { dir: string; version: string };
/** The stamp a build for `electronVersion` on this machine must carry. */
export function expectedStamp(electronVersion: string): Stamp;
/** The state of the Electron build under `root`. */
export function bindingState(root: string, stamp: Stamp): 'fresh' | 'missing' | 'stale';
/** Installs the built `file` and its stamp under `root`. */
export function installBinding(root: string, file: string, stamp: Stamp): void;
/** Builds better-sqlite3 for Electron with @electron/rebuild, apart from Node's copy. */
export function buildBinding(
  root: string,
  stamp: Stamp,
  options?: { headerURL?: string },
): Promise<void>;
/** Builds the Electron copy when it is missing or stale; answers what it found. */
export function ensureBinding(
  root: string,
  stamp: Stamp,
  build?: (root: string, stamp: Stamp) => Promise<void>,
): Promise<'fresh' | 'missing' | 'stale'>;
