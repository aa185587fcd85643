/**
 * `npm start`'s prestart step (scripts/prestart.mjs, scripts/electron-sqlite.mjs):
 * one clear sentence where Electron's binary is missing, and the Electron
 * build of better-sqlite3 made only when missing or stale, in the folder and
 * with the stamp the embedded server's process reads.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindingState,
  ensureBinding,
  expectedStamp,
  installBinding,
  ELECTRON_SQLITE_DIR as SCRIPT_DIR,
} from '../../../scripts/electron-sqlite.mjs';
import { ELECTRON_SQLITE_DIR, electronSqliteBinding } from '../../../desktop/sqliteBinding';
import { tempDir } from '../../support/servers';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((step) => step()));

function temp(): string {
  const dir = tempDir('tickline-prestart-');
  cleanup.push(dir.remove);
  return dir.dir;
}

describe('npm start without the Electron binary', () => {
  it('says so in one sentence, points to npm run serve, and fails', () => {
    // An empty override folder: the `electron` package then names a binary
    // that does not exist, whether or not this machine has the real one.
    const result = spawnSync(process.execPath, ['scripts/prestart.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: temp() },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "Tickline's desktop app cannot start here because Electron's binary is not installed " +
        '(npm skipped or could not download it); run `npm run serve` to use the same app in a browser.\n',
    );
  });
});

describe('the Electron build of better-sqlite3', () => {
  const stamp = expectedStamp('41.7.1');
  const built: string[] = [];
  const fakeBuild = async (root: string, wanted: typeof stamp) => {
    built.push(wanted.electron);
    const file = path.join(root, 'fake.node');
    writeFileSync(file, 'built for Electron');
    installBinding(root, file, wanted);
  };

  it('is built when missing, then left alone while fresh', async () => {
    const root = temp();
    built.length = 0;
    expect(await ensureBinding(root, stamp, fakeBuild)).toBe('missing');
    expect(await ensureBinding(root, stamp, fakeBuild)).toBe('fresh');
    expect(built).toEqual(['41.7.1']);
  });

  it('is rebuilt when made for another Electron, or its stamp is damaged', async () => {
    const root = temp();
    built.length = 0;
    await ensureBinding(root, expectedStamp('40.0.0'), fakeBuild);
    expect(await ensureBinding(root, stamp, fakeBuild)).toBe('stale');
    writeFileSync(path.join(root, SCRIPT_DIR, 'stamp.json'), '{');
    expect(bindingState(root, stamp)).toBe('stale');
    expect(built).toEqual(['40.0.0', '41.7.1']);
  });

  it('is found by the embedded server in Electron exactly when prestart calls it fresh', async () => {
    expect(SCRIPT_DIR).toBe(ELECTRON_SQLITE_DIR);
    const root = temp();
    await ensureBinding(root, stamp, fakeBuild);
    const target = { electron: '41.7.1', platform: process.platform, arch: process.arch };
    expect(electronSqliteBinding(root, target)).toBe(
      path.join(root, ELECTRON_SQLITE_DIR, 'better_sqlite3.node'),
    );
    expect(electronSqliteBinding(root, { ...target, electron: '42.0.0' })).toBeUndefined();
  });
});
