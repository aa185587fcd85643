import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The database file inside a data directory. */
export const DATABASE_FILE = 'tickline.sqlite3';

/** The file whose SQLite lock marks a data directory as in use. */
export const LOCK_FILE = 'tickline.lock';

/** The pid of the server holding the lock (informational; the lock itself is authoritative). */
export const PID_FILE = 'tickline.pid';

/** Where a damaged database's error message sends the operator. */
export const RESTORE_HINT =
  'restore the latest backup (made with `npm run backup`) as described in docs/DEPLOY.md';

/**
 * A data directory or its database that cannot be used: one line saying
 * which path and why. Restarting does not help; an operator must act.
 */
/** The `code` of a {@link DataDirError}. */
export const DATA_DIR_ERROR = 'ERR_TICKLINE_DATA_DIR';

export class DataDirError extends Error {
  /** Lets callers (the CLI, a service manager's exit status) tell these apart. */
  readonly code = DATA_DIR_ERROR;
}

/** The exclusive hold of one server on a data directory. */
export interface DataDirLock {
  /** The data directory, absolute. */
  readonly dir: string;
  /** Removes the pid file and releases the lock; safe to call twice. */
  release(): void;
}

/** A one-line reason for a file system error (`permission denied`, `read-only file system`…). */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The closest ancestor of `dir` that exists, with what it is. */
function nearestExisting(dir: string): { at: string; stat: Stats } | undefined {
  for (let at = path.dirname(dir); ; at = path.dirname(at)) {
    try {
      return { at, stat: statSync(at) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/** Why `dir` could not be created, as one line. */
function cannotCreate(dir: string, error: unknown): DataDirError {
  const code = (error as NodeJS.ErrnoException).code;
  let why = reason(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const found = nearestExisting(dir);
    why =
      found && !found.stat.isDirectory()
        ? `${found.at} is not a directory`
        : `parent directory ${path.dirname(dir)} does not exist`;
  }
  return new DataDirError(`cannot create data directory ${dir}: ${why}`, { cause: error });
}

/**
 * Makes sure `dataDir` is a directory this process can write, private to
 * its owner (mode 0700; created so when absent, its parent must exist), and
 * returns its absolute path. Throws a one-line error otherwise.
 */
export function prepareDataDir(dataDir: string): string {
  const dir = path.resolve(dataDir);
  let stat: Stats;
  try {
    stat = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new DataDirError(`cannot access data directory ${dir}: ${reason(error)}`, {
        cause: error,
      });
    }
    try {
      mkdirSync(dir, { mode: 0o700 });
      stat = statSync(dir);
    } catch (mkdirError) {
      throw cannotCreate(dir, mkdirError);
    }
  }
  if (!stat.isDirectory()) throw new DataDirError(`data directory ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new DataDirError(`data directory ${dir} is not writable (${reason(error)})`, {
      cause: error,
    });
  }
  if ((stat.mode & 0o077) !== 0) {
    if ((stat.mode & 0o1000) !== 0) {
      throw new DataDirError(
        `data directory ${dir} is a shared directory (sticky bit set); use a directory of its own`,
      );
    }
    try {
      chmodSync(dir, 0o700);
    } catch (error) {
      throw new DataDirError(
        `cannot make data directory ${dir} private (mode 0700): ${reason(error)}`,
        { cause: error },
      );
    }
  }
  return dir;
}

/**
 * Creates `file` empty with mode 0600 when absent, or sets an existing one
 * to 0600. Never opens an existing file: closing a descriptor would drop the
 * POSIX locks this process holds on it.
 */
export function privateFile(file: string): void {
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new DataDirError(`cannot create ${file}: ${reason(error)}`, { cause: error });
    }
  }
  chmodPrivate(file);
}

/** Sets `file` to mode 0600 when it exists (SQLite's `-wal` and `-shm` files). */
export function privateIfPresent(file: string): void {
  try {
    statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  chmodPrivate(file);
}

function chmodPrivate(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  } catch (error) {
    throw new DataDirError(`cannot make ${file} private (mode 0600): ${reason(error)}`, {
      cause: error,
    });
  }
}

/** The pid recorded by the lock's holder, or a description when there is none. */
function holderOf(dir: string): string {
  try {
    const pid = readFileSync(path.join(dir, PID_FILE), 'utf8').trim();
    if (/^\d+$/.test(pid)) return `process ${pid}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return `another process (its pid file cannot be read: ${reason(error)})`;
    }
  }
  return 'another process (it has not recorded its pid)';
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Takes the exclusive lock on the data directory `dir` (absolute, prepared):
 * an open `BEGIN EXCLUSIVE` transaction on `DIR/tickline.lock`, a file lock
 * that the kernel drops when the process ends in any way, SIGKILL included,
 * and that does not depend on pids (reuse, containers). The holder's pid is
 * written to `DIR/tickline.pid` for the refusal message only. Throws
 * "data directory DIR is in use by process PID" when another server holds it.
 */
export function lockDataDir(dir: string): DataDirLock {
  const lockFile = path.join(dir, LOCK_FILE);
  privateFile(lockFile);
  const db = new Database(lockFile, { timeout: 0 });
  try {
    // No journal file: the lock file stays empty and cannot be damaged.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) {
      throw new DataDirError(`data directory ${dir} is in use by ${holderOf(dir)}`, {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new DataDirError(`cannot lock data directory ${dir} (${lockFile}): ${message}`, {
      cause: error,
    });
  }
  const pidFile = path.join(dir, PID_FILE);
  const next = `${pidFile}.${process.pid}.tmp`;
  try {
    writeFileSync(next, `${process.pid}\n`, { mode: 0o600 });
    renameSync(next, pidFile);
  } catch (error) {
    db.close();
    throw new DataDirError(`cannot write ${pidFile}: ${reason(error)}`, { cause: error });
  }
  return {
    dir,
    release() {
      if (!db.open) return;
      try {
        removeIfPresent(pidFile);
      } finally {
        db.close();
      }
    },
  };
}

/** True for SQLite's "this file is damaged" result codes. */
function isCorrupt(code: string): boolean {
  return code.startsWith('SQLITE_CORRUPT');
}

/** The refusal for a damaged database file: names it and says how to recover. */
export function damagedDatabase(file: string, detail: string, cause?: unknown): DataDirError {
  const oneLine = detail.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new DataDirError(`database ${file} is damaged (${oneLine}); ${RESTORE_HINT}`, { cause });
}

/**
 * Runs `PRAGMA quick_check` on the database `file` through a read-only
 * connection (so a damaged file is never written to); throws a one-line
 * error naming the file and the way to restore a backup unless it is `ok`.
 */
export function checkDatabase(file: string): void {
  let db: Database.Database | undefined;
  let problems: string[];
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'SQLITE_NOTADB') {
      throw new DataDirError(
        `${file} is not a Tickline database (not SQLite at all); ${RESTORE_HINT}`,
        { cause: error },
      );
    }
    if (typeof code === 'string' && isCorrupt(code)) throw damagedDatabase(file, message, error);
    throw new DataDirError(`cannot open database ${file}: ${message}`, { cause: error });
  } finally {
    db?.close();
  }
  if (problems.length > 0) throw damagedDatabase(file, problems.slice(0, 2).join('; '));
}
