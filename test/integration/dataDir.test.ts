import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  chmodSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, historyASchema, type Session } from '../../protocol';
import { backupDatabase } from '../../server/backup';
import { DATABASE_FILE, LOCK_FILE, PID_FILE } from '../../server/dataDir';
import { startChildServer } from '../support/childServer';
import { newUser } from '../support/clients';
import { ask, rawConnect, type RawSocket } from '../support/raw';
import { startServer, tempDir } from '../support/servers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FAST_HASH = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };

/**
 * Runs `server/<script>` with `args` to completion, without blocking the event
 * loop. A process still running after `timeoutMs` (a server that should have
 * been refused but started) is killed and reported with status null.
 */
function runTs(
  script: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `server/${script}`, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

/** Sends `count` direct messages from `from` to `to`, `batch` at a time; returns their ids. */
async function sendMessages(socket: RawSocket, to: string, count: number, batch = 50) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += batch) {
    const part = Array.from({ length: Math.min(batch, count - i) }, (_, j) => `m${i + j}`);
    const answers = await Promise.all(
      part.map((id) => ask(socket, 'msg:R', { id, to, body: `message ${id}` })),
    );
    for (const a of answers) expect(a).toMatchObject({ ok: true });
    ids.push(...part);
  }
  return ids;
}

/** Every message id of the conversation of `session` with `peer`, oldest first, via `history:R`. */
async function historyIds(url: string, session: Session, peer: string): Promise<string[]> {
  const socket = await rawConnect(url, session.token, 2);
  try {
    const conv = directConversationId(session.userId, peer);
    const ids: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = historyASchema.parse(
        await ask(socket, 'history:R', { conv, limit: 200, ...(before ? { before } : {}) }),
      );
      ids.unshift(...page.messages.map((m) => m.id));
      if (!page.more || page.messages.length === 0) return ids;
      before = page.messages[0]!.seq;
    }
  } finally {
    socket.close();
  }
}

describe('the data directory', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  function scratch() {
    const tmp = tempDir('tickline-datadir-');
    cleanups.push(tmp.remove);
    return tmp.dir;
  }

  describe('lock', () => {
    it('refuses a second server with the holder pid, keeps the first working, and is released on close', async () => {
      const dir = scratch();
      const args = ['--host', '127.0.0.1', '--port', '0', '--data', dir, '--log-level', 'warn'];
      const holder = await startChildServer(args, FAST_HASH);
      cleanups.push(() => holder.stop());
      const inUse = `data directory ${dir} is in use by process ${holder.process.pid}`;

      // In this process, through createImServer:
      await expect(startServer({ dataDir: dir })).rejects.toThrow(inUse);
      // As an operator sees it, through the CLI: one line, no usage text.
      const second = await runTs('cli.ts', args);
      expect(second.status).toBe(78); // EX_CONFIG: the service manager must not restart
      expect(second.stderr).toBe(`tickline: ${inUse}\n`);

      // The first server was not disturbed by either attempt.
      const alice = await newUser(holder.url, 'alice');
      const socket = await rawConnect(holder.url, alice.token);
      socket.close();

      expect(await holder.stop()).toBe(0);
      expect(existsSync(path.join(dir, PID_FILE))).toBe(false);

      // Released: a server in this process takes it over; now it is the holder.
      const server = await startServer({ dataDir: dir });
      cleanups.push(() => server.close());
      expect(readFileSync(path.join(dir, PID_FILE), 'utf8')).toBe(`${process.pid}\n`);
      const mine = `data directory ${dir} is in use by process ${process.pid}`;
      await expect(startServer({ dataDir: dir })).rejects.toThrow(mine);
      // A refused attempt in the holder's own process must not drop the lock.
      await expect(startServer({ dataDir: dir })).rejects.toThrow(mine);
      const third = await runTs('cli.ts', args);
      expect(third.stderr).toBe(`tickline: ${mine}\n`);
      await server.close();
      expect(existsSync(path.join(dir, PID_FILE))).toBe(false);
    });

    it('a SIGKILLed server leaves the directory usable at once, its data intact', async () => {
      const dir = scratch();
      const args = ['--host', '127.0.0.1', '--port', '0', '--data', dir, '--log-level', 'warn'];
      const crashed = await startChildServer(args, FAST_HASH);
      const alice = await newUser(crashed.url, 'alice');
      const bob = await newUser(crashed.url, 'bob');
      const socket = await rawConnect(crashed.url, alice.token);
      const sent = await sendMessages(socket, bob.userId, 5);
      socket.close();
      await crashed.kill();
      // Its pid file is left behind, naming a dead process; the lock itself is gone.
      expect(readFileSync(path.join(dir, PID_FILE), 'utf8')).toBe(`${crashed.process.pid}\n`);

      const server = await startServer({ dataDir: dir });
      cleanups.push(() => server.close());
      expect(readFileSync(path.join(dir, PID_FILE), 'utf8')).toBe(`${process.pid}\n`);
      expect(await historyIds(server.url, bob, alice.userId)).toEqual(sent);
    });
  });

  describe('damaged database', () => {
    let pristine: string;
    let pageSize: number;
    let sent: string[];
    let base: { dir: string; remove: () => void } | undefined;
    afterAll(() => base?.remove());

    beforeAll(async () => {
      base = tempDir('tickline-damaged-');
      const dir = path.join(base.dir, 'pristine');
      const server = await startServer({ dataDir: dir });
      const alice = await newUser(server.url, 'alice');
      const bob = await newUser(server.url, 'bob');
      const socket = await rawConnect(server.url, alice.token);
      sent = await sendMessages(socket, bob.userId, 400);
      socket.close();
      await server.close();
      pristine = path.join(dir, DATABASE_FILE);
      const db = new Database(pristine, { readonly: true });
      pageSize = db.pragma('page_size', { simple: true }) as number;
      db.close();
    });

    /** A data directory holding a copy of the pristine database, damaged by `damage`. */
    function damagedCopy(damage: (file: string) => void): { dir: string; file: string } {
      const dir = scratch();
      const file = path.join(dir, DATABASE_FILE);
      copyFileSync(pristine, file);
      damage(file);
      return { dir, file };
    }

    /** The pages of b-tree `name` (table or index) as dbstat sees them. */
    function pagesOf(file: string, name?: string): { name: string; pageno: number }[] {
      const db = new Database(file, { readonly: true });
      try {
        return db
          .prepare(
            `SELECT name, pageno FROM dbstat WHERE pagetype IN ('leaf', 'internal')
             ${name ? 'AND name = ?' : ''} ORDER BY pageno`,
          )
          .all(...(name ? [name] : [])) as { name: string; pageno: number }[];
      } finally {
        db.close();
      }
    }

    function overwrite(file: string, offset: number, length: number): void {
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
      } finally {
        closeSync(fd);
      }
    }

    async function expectRefused(dir: string, file: string, pattern: RegExp) {
      const before = sha256(file);
      const attempt = startServer({ dataDir: dir });
      await expect(attempt).rejects.toThrow(pattern);
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('ERR_TICKLINE_DATA_DIR');
      const message = error!.message;
      expect(message).not.toContain('\n');
      expect(message).toContain(file);
      expect(message).toContain('npm run backup');
      expect(message).toContain('docs/DEPLOY.md');
      // Nothing written to it, and nothing held: the same refusal again, not "in use".
      expect(sha256(file)).toBe(before);
      await expect(startServer({ dataDir: dir })).rejects.toThrow(pattern);
      return message;
    }

    it('refuses a database with a damaged index page, with the file and how to restore', async () => {
      const pages = pagesOf(pristine, 'sqlite_autoindex_messages_1');
      expect(pages.length).toBeGreaterThan(2);
      const victim = pages[Math.floor(pages.length / 2)]!.pageno;
      const { dir, file } = damagedCopy((f) => overwrite(f, (victim - 1) * pageSize, 64));
      const message = await expectRefused(dir, file, /^database .* is damaged \(/);
      expect(message).toContain(`database ${file} is damaged`);

      // The operator sees the same, on one line, from the CLI.
      const cli = await runTs('cli.ts', ['--host', '127.0.0.1', '--port', '0', '--data', dir]);
      expect(cli.status).toBe(78);
      expect(cli.stderr).toBe(`tickline: ${message}\n`);
    });

    it('refuses a database overwritten in the middle of the file', async () => {
      const size = statSync(pristine).size;
      const middle = Math.floor(size / 2 / pageSize) * pageSize;
      // The page there belongs to a table or an index (not free space).
      expect(pagesOf(pristine).map((p) => p.pageno)).toContain(middle / pageSize + 1);
      const { dir, file } = damagedCopy((f) => overwrite(f, middle, pageSize));
      await expectRefused(dir, file, /^database .* is damaged \(/);
    });

    it('refuses a file that is not a database at all', async () => {
      const { dir, file } = damagedCopy((f) =>
        writeFileSync(f, 'these are my notes, not a database\n'.repeat(200)),
      );
      await expectRefused(dir, file, /is not a Tickline database \(not SQLite at all\)/);
    });

    it('the backup refuses to copy a damaged database and writes nothing', async () => {
      const pages = pagesOf(pristine, 'messages');
      const { dir } = damagedCopy((f) => overwrite(f, (pages.at(-1)!.pageno - 1) * pageSize, 64));
      const to = path.join(scratch(), 'backup.sqlite3');
      await expect(backupDatabase({ dataDir: dir, to })).rejects.toThrow(
        /is damaged .*no backup was written/,
      );
      expect(readdirSync(path.dirname(to))).toEqual([]);
      // Not even with --force over yesterday's good backup.
      writeFileSync(to, 'yesterday');
      await expect(backupDatabase({ dataDir: dir, to, force: true })).rejects.toThrow(
        /is damaged .*no backup was written/,
      );
      expect(readFileSync(to, 'utf8')).toBe('yesterday');
      expect(readdirSync(path.dirname(to))).toEqual([path.basename(to)]);
    });

    it('the undamaged copy still starts with every message (the damage tests are not vacuous)', async () => {
      const { dir } = damagedCopy(() => undefined);
      const server = await startServer({ dataDir: dir });
      cleanups.push(() => server.close());
      const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
      expect(db.prepare('SELECT id FROM messages ORDER BY gseq').pluck().all()).toEqual(sent);
      db.close();
    });
  });

  describe('permissions and paths', () => {
    it('keeps the directory 0700 and its files 0600, tightening what an older version left', async () => {
      const parent = scratch();
      const dir = path.join(parent, 'data');
      const server = await startServer({ dataDir: dir });
      const alice = await newUser(server.url, 'alice');
      expect(alice.userId).toBeTruthy();
      const files = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`];
      expect(mode(dir)).toBe(0o700);
      for (const f of [...files, LOCK_FILE, PID_FILE]) {
        expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
      }
      await server.close();

      // As an older server (or a careless copy) left them.
      chmodSync(dir, 0o755);
      chmodSync(path.join(dir, DATABASE_FILE), 0o644);
      chmodSync(path.join(dir, LOCK_FILE), 0o644);
      const again = await startServer({ dataDir: dir });
      cleanups.push(() => again.close());
      expect(mode(dir)).toBe(0o700);
      for (const f of [...files, LOCK_FILE, PID_FILE]) {
        expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
      }
    });

    it('says in one line why a data directory cannot be used, and creates nothing', async () => {
      const parent = scratch();
      const missing = path.join(parent, 'nope', 'data');
      await expect(startServer({ dataDir: missing })).rejects.toThrow(
        `cannot create data directory ${missing}: parent directory ${path.dirname(missing)} does not exist`,
      );
      const file = path.join(parent, 'a-file');
      writeFileSync(file, 'x');
      await expect(startServer({ dataDir: path.join(file, 'data') })).rejects.toThrow(
        `cannot create data directory ${path.join(file, 'data')}: ${file} is not a directory`,
      );
      await expect(startServer({ dataDir: file })).rejects.toThrow(
        `data directory ${file} is not a directory`,
      );
      const shared = path.join(parent, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      await expect(startServer({ dataDir: shared })).rejects.toThrow(
        `data directory ${shared} is a shared directory (sticky bit set); use a directory of its own`,
      );
      expect(readdirSync(parent).sort()).toEqual(['a-file', 'shared']);
      expect(readdirSync(shared)).toEqual([]);
      // And through the CLI, as one line.
      const cli = await runTs('cli.ts', ['--port', '0', '--data', missing]);
      expect(cli.stderr).toBe(
        `tickline: cannot create data directory ${missing}: parent directory ${path.dirname(missing)} does not exist\n`,
      );
    });

    // Root ignores mode bits, so "read-only" needs a read-only file system: a tmpfs mounted ro.
    const canMount =
      process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0 && probeMount();
    it.runIf(canMount)('says a read-only data directory is not writable', async () => {
      const ro = path.join(scratch(), 'ro');
      mkdirSync(ro);
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status).toBe(0);
      cleanups.push(() => spawnSync('umount', [ro]));
      await expect(startServer({ dataDir: ro })).rejects.toThrow(
        `data directory ${ro} is not writable (read-only file system)`,
      );
      await expect(startServer({ dataDir: path.join(ro, 'data') })).rejects.toThrow(
        `cannot create data directory ${path.join(ro, 'data')}: read-only file system`,
      );
    });
  });

  describe('backup and restore', () => {
    it('backs up while the server runs and messages flow; the restored copy serves them', async () => {
      const dir = path.join(scratch(), 'live');
      const server = await startServer({ dataDir: dir });
      const alice = await newUser(server.url, 'alice');
      const bob = await newUser(server.url, 'bob');
      const socket = await rawConnect(server.url, alice.token);
      const early = await sendMessages(socket, bob.userId, 100);

      // One message at a time, each awaited: the log is always a prefix of `sent`.
      const sent = [...early];
      let acked = sent.length;
      let flowing = true;
      const flow = (async () => {
        while (flowing) {
          const id = `live${sent.length}`;
          sent.push(id);
          expect(
            await ask(socket, 'msg:R', { id, to: bob.userId, body: `body ${id}` }),
          ).toMatchObject({ ok: true });
          acked = sent.length;
        }
      })();
      const to = path.join(scratch(), 'tickline-backup.sqlite3');
      const ackedBefore = acked;
      const backup = await runTs('backupCli.ts', ['--data', dir, '--to', to]);
      const ackedAfter = acked;
      flowing = false;
      await flow;
      socket.close();

      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      const line = /^backed up (\S+) to (\S+): (\d+) bytes, (\d+) messages\n$/.exec(backup.stdout);
      expect(line?.slice(1, 3)).toEqual([path.join(dir, DATABASE_FILE), to]);
      expect(Number(line![3])).toBe(statSync(to).size);
      const count = Number(line![4]);
      // Messages went on flowing while it ran, and it holds a consistent snapshot of them.
      expect(ackedAfter).toBeGreaterThan(ackedBefore);
      expect(count).toBeGreaterThanOrEqual(ackedBefore);
      expect(count).toBeLessThanOrEqual(sent.length);
      expect(mode(to)).toBe(0o600);
      expect(readdirSync(path.dirname(to))).toEqual([path.basename(to)]);
      await server.close();

      // Restore as docs/DEPLOY.md says: a fresh directory, the backup as its database.
      const restored = path.join(scratch(), 'restored');
      mkdirSync(restored, { mode: 0o700 });
      copyFileSync(to, path.join(restored, DATABASE_FILE));
      const after = await startServer({ dataDir: restored });
      cleanups.push(() => after.close());
      const db = new Database(path.join(restored, DATABASE_FILE), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      // The people, their devices (tokens) and the messages are all there.
      expect(await historyIds(after.url, bob, alice.userId)).toEqual(sent.slice(0, count));
    });

    it('refuses to overwrite an existing file unless --force, and needs --to', async () => {
      const dir = scratch();
      const server = await startServer({ dataDir: dir });
      const alice = await newUser(server.url, 'alice');
      const bob = await newUser(server.url, 'bob');
      const socket = await rawConnect(server.url, alice.token);
      await sendMessages(socket, bob.userId, 3);
      socket.close();
      cleanups.push(() => server.close());

      const out = scratch();
      const to = path.join(out, 'precious.sqlite3');
      writeFileSync(to, 'an older backup, or something else entirely');
      const refused = await runTs('backupCli.ts', ['--data', dir, '--to', to]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(`tickline: ${to} already exists; pass --force to overwrite it\n`);
      expect(readFileSync(to, 'utf8')).toBe('an older backup, or something else entirely');
      expect(readdirSync(out)).toEqual(['precious.sqlite3']);

      const forced = await runTs('backupCli.ts', ['--data', dir, '--to', to, '--force']);
      expect(forced.status).toBe(0);
      expect(forced.stdout).toMatch(/, 3 messages\n$/);
      const db = new Database(to, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const noTarget = await runTs('backupCli.ts', ['--data', dir]);
      expect(noTarget.status).toBe(1);
      expect(noTarget.stderr).toMatch(/^tickline: --to FILE is required\nusage: npm run backup/);
      const noData = await runTs('backupCli.ts', ['--data', path.join(out, 'nope'), '--to', to]);
      expect(noData.stderr).toBe(
        `tickline: no Tickline database at ${path.join(out, 'nope', DATABASE_FILE)}\n`,
      );
    });
  });
});

/** Whether this machine lets us mount a tmpfs (root with CAP_SYS_ADMIN). */
function probeMount(): boolean {
  const dir = tempDir('tickline-mount-');
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir.dir]);
    if (mounted.status !== 0) return false;
    return spawnSync('umount', [dir.dir]).status === 0;
  } finally {
    dir.remove();
  }
}
