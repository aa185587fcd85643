/**
 * The Electron build of better-sqlite3 kept apart from Node's: found only
 * when its stamp matches, and loaded instead of the default build. The
 * redirection is checked in a child process (Linux: /proc/self/maps shows
 * which native file was mapped), with a copy of Node's build standing in for
 * Electron's.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  betterSqlite3Version,
  ELECTRON_SQLITE_DIR,
  electronSqliteBinding,
} from '../../../desktop/sqliteBinding';
import { calibrate } from '../../support/calibrate';
import { tempDir } from '../../support/servers';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * The check runs in a child Node process that loads TypeScript through tsx
 * (about 1 s on an idle 2-core machine, most of the test's 2 s; the rest is
 * loading better-sqlite3). One such child with nothing to do is timed here;
 * the test gets the time of two.
 */
const child = await calibrate('one `node --import tsx` child doing nothing', () =>
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ''], {
    cwd: ROOT,
  }),
);

const TARGET = { electron: '41.7.1', platform: 'linux', arch: 'x64' };
const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((step) => step()));

function root(stamp: unknown, withBinary = true): string {
  const temp = tempDir('tickline-sqlite-binding-');
  cleanup.push(temp.remove);
  const dir = path.join(temp.dir, ELECTRON_SQLITE_DIR);
  mkdirSync(dir, { recursive: true });
  if (withBinary) writeFileSync(path.join(dir, 'better_sqlite3.node'), 'not loaded here');
  writeFileSync(
    path.join(dir, 'stamp.json'),
    typeof stamp === 'string' ? stamp : JSON.stringify(stamp),
  );
  return temp.dir;
}

describe('finding the Electron build', () => {
  const fresh = { ...TARGET, betterSqlite3: betterSqlite3Version() };

  it('uses a build stamped for this Electron, platform, architecture and better-sqlite3', () => {
    const dir = root(fresh);
    expect(electronSqliteBinding(dir, TARGET)).toBe(
      path.join(dir, ELECTRON_SQLITE_DIR, 'better_sqlite3.node'),
    );
  });

  it.each([
    ['another Electron', { ...fresh, electron: '40.0.0' }],
    ['another architecture', { ...fresh, arch: 'arm64' }],
    ['another platform', { ...fresh, platform: 'win32' }],
    ['another better-sqlite3', { ...fresh, betterSqlite3: '11.0.0' }],
    ['a damaged stamp', '{"electron":'],
  ])('ignores a build for %s', (_what, stamp) => {
    expect(electronSqliteBinding(root(stamp), TARGET)).toBeUndefined();
  });

  it('ignores a stamp without its build', () => {
    expect(electronSqliteBinding(root(fresh, false), TARGET)).toBeUndefined();
  });
});

describe('loading it', () => {
  it.runIf(process.platform === 'linux')(
    'makes better-sqlite3 load that file instead of its own build',
    () => {
      const temp = tempDir('tickline-sqlite-copy-');
      cleanup.push(temp.remove);
      const require = createRequire(import.meta.url);
      const own = realpathSync(
        path.join(
          path.dirname(require.resolve('better-sqlite3/package.json')),
          'build/Release/better_sqlite3.node',
        ),
      );
      const copy = path.join(temp.dir, 'better_sqlite3.node');
      copyFileSync(own, copy);
      const module = path.resolve(import.meta.dirname, '../../../desktop/sqliteBinding.ts');
      const script = `
        import { readFileSync } from 'node:fs';
        import Database from 'better-sqlite3';
        const { useSqliteBinding } = await import(${JSON.stringify(module)});
        useSqliteBinding(${JSON.stringify(copy)});
        const db = new Database(':memory:');
        const answer = db.prepare('select 41 + 1 as n').get().n;
        const maps = readFileSync('/proc/self/maps', 'utf8');
        console.log(JSON.stringify({ answer, copy: maps.includes(${JSON.stringify(copy)}), own: maps.includes(${JSON.stringify(own)}) }));
      `;
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
        answer: 42,
        copy: true,
        own: false,
      });
    },
    child.timeout(2),
  );
});
