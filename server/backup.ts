import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE, damagedDatabase } from './dataDir';

/** What {@link backupDatabase} is asked to do. */
export interface BackupOptions {
  /** The server's data directory (it may be running). */
  dataDir: string;
  /** The backup file to write. */
  to: string;
  /** Replace `to` when it exists (otherwise that is refused). */
  force?: boolean;
}

/** What {@link backupDatabase} wrote. */
export interface BackupResult {
  /** The database copied, absolute. */
  source: string;
  /** The backup file written, absolute. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** How many messages (log entries) it holds. */
  messages: number;
}

/** SQLite's "copy every remaining page in this step": one read transaction, one snapshot. */
const ALL_PAGES = 0x7fffffff;

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Flushes a directory entry change (rename, link) of `dir` to disk. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Refuses a target that exists (without `force`), is a directory, or has no directory. */
function checkTarget(file: string, force: boolean): void {
  const dir = path.dirname(file);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(`cannot write backup ${file}: directory ${dir} does not exist`, {
        cause: error,
      });
    }
    throw error;
  }
  if (!dirStat.isDirectory()) {
    throw new Error(`cannot write backup ${file}: ${dir} is not a directory`);
  }
  if (!exists(file)) return;
  if (statSync(file).isDirectory()) throw new Error(`backup target ${file} is a directory`);
  if (!force) throw new Error(`${file} already exists; pass --force to overwrite it`);
}

/**
 * Copies `source` into the new file `partial` with SQLite's online backup
 * API, all pages in one step (one read snapshot: the server keeps writing
 * meanwhile, WAL lets it), turns the copy into a self-contained rollback
 * journal database, checks its integrity and counts its messages.
 */
async function copyAndVerify(source: string, partial: string): Promise<number> {
  // A read-only connection: never writes, checkpoints or locks the server out.
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await src.backup(partial, { progress: () => ALL_PAGES });
  } catch (error) {
    throw explain(source, error);
  } finally {
    src.close();
  }
  const copy = new Database(partial);
  try {
    copy.pragma('journal_mode = DELETE');
    const rows = copy.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0) throw damaged(source, problems.slice(0, 2).join('; '));
    const hasMessages = copy
      .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'messages'")
      .pluck()
      .get();
    if (hasMessages !== 1) throw new Error(`${source} is not a Tickline database (no messages)`);
    return copy.prepare('SELECT count(*) FROM messages').pluck().get() as number;
  } catch (error) {
    throw explain(source, error);
  } finally {
    copy.close();
  }
}

/** The refusal for a damaged source: what {@link damagedDatabase} says, and that nothing was written. */
function damaged(source: string, detail: string, cause?: unknown): Error {
  return new Error(`${damagedDatabase(source, detail).message}; no backup was written`, { cause });
}

/** A one-line error for a failed copy of `source`; SQLite's corruption codes say it is damaged. */
function explain(source: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return damaged(source, message, error);
  }
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    return error instanceof Error ? error : new Error(message);
  }
  return new Error(`cannot back up ${source}: ${message}`, { cause: error });
}

/**
 * Writes a consistent copy of the data directory's database to `to`, safe
 * while the server runs: it neither takes the data directory's lock nor
 * writes to the database. The copy is built in a mode-0600 side file and
 * only then published, so `to` is never a partial backup; an existing `to`
 * is kept unless `force`.
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const source = path.join(path.resolve(options.dataDir), DATABASE_FILE);
  const file = path.resolve(options.to);
  if (!exists(source)) throw new Error(`no Tickline database at ${source}`);
  const force = options.force ?? false;
  checkTarget(file, force);

  const partial = `${file}.${process.pid}.partial`;
  closeSync(openSync(partial, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  let messages: number;
  try {
    messages = await copyAndVerify(source, partial);
    if (force) {
      renameSync(partial, file);
    } else {
      // link() never replaces: a file created meanwhile is not overwritten.
      try {
        linkSync(partial, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new Error(`${file} already exists; pass --force to overwrite it`, {
            cause: error,
          });
        }
        throw error;
      }
      unlinkSync(partial);
    }
    syncDir(path.dirname(file));
  } catch (error) {
    try {
      removeIfPresent(partial);
      removeIfPresent(`${partial}-journal`);
    } catch (cleanup) {
      const why = cleanup instanceof Error ? cleanup.message : String(cleanup);
      throw new Error(
        `${error instanceof Error ? error.message : String(error)} (and ${partial} could not be removed: ${why})`,
        { cause: cleanup },
      );
    }
    throw error;
  }
  return { source, file, bytes: statSync(file).size, messages };
}
