import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries (`.ci/run` installs the package); `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL server of the tests' own, in a temporary directory. */
export interface TestPostgres {
  /** The superuser's URL of database `postgres`. */
  readonly url: string;
  /** The URL of database `name` on this server. */
  urlOf(name: string): string;
  /** Creates an empty database `name` and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /** Stops the server at once (`immediate`: like a crash) and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a PostgreSQL server from Debian's package in a new temporary
 * directory, listening on 127.0.0.1 only, with `trust` authentication for
 * its superuser `tickline`. initdb refuses root: as root it runs everything
 * as the `postgres` user (`runuser`), which owns the directory. Throws with
 * what to install when the binaries are missing: the tests that need it
 * fail rather than skip.
 */
export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(path.join(PG_BIN, 'initdb'))) {
    throw new Error(
      `PostgreSQL's server binaries are not at ${PG_BIN}: install Debian's postgresql-15 (.ci/run does) or set PG_BIN`,
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tickline-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  /** Runs a server binary, as `postgres` when we are root. */
  const server = (bin: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args], { cwd: dir })
      : run(path.join(PG_BIN, bin), args, { cwd: dir });
  const port = await freePort();
  await server('initdb', [
    '-D',
    data,
    '-U',
    'tickline',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-instructions',
  ]);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-k ${dir}`,
    '-c max_connections=200',
    // Durability as in production: fsync and synchronous commit stay on.
  ].join(' ');
  try {
    await server('pg_ctl', ['-D', data, '-o', options, '-l', logFile, '-w', '-t', '60', 'start']);
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
  }
  const urlOf = (name: string) => `postgresql://tickline@127.0.0.1:${port}/${name}`;
  let stopped = false;
  return {
    url: urlOf('postgres'),
    urlOf,
    async createDatabase(name) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await server('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
