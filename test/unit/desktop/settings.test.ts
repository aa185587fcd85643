import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EMPTY_SETTINGS,
  readSettings,
  writeSettings,
  type Settings,
} from '../../../desktop/settings';
import { tempDir } from '../../support/servers';

describe('settings file', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  function file(): string {
    const tmp = tempDir('tickline-settings-');
    dirs.push(tmp);
    return path.join(tmp.dir, 'nested', 'settings.json');
  }

  it('reads a missing file as "no choice"', async () => {
    expect(await readSettings(file())).toEqual(EMPTY_SETTINGS);
  });

  it.each<Settings>([
    { version: 1, server: { mode: 'host', port: 7420 } },
    { version: 1, server: { mode: 'connect', url: 'http://192.168.1.20:7420' } },
    { version: 1, server: null },
  ])('writes and reads back %j', async (settings) => {
    const f = file();
    await writeSettings(f, settings);
    expect(await readSettings(f)).toEqual(settings);
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual(settings);
    if (process.platform !== 'win32') expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not json', '{"version":1,'],
    ['wrong version', JSON.stringify({ version: 2, server: null })],
    ['unknown mode', JSON.stringify({ version: 1, server: { mode: 'relay', port: 1 } })],
    ['port out of range', JSON.stringify({ version: 1, server: { mode: 'host', port: 70000 } })],
    ['port zero', JSON.stringify({ version: 1, server: { mode: 'host', port: 0 } })],
    ['port as text', JSON.stringify({ version: 1, server: { mode: 'host', port: '7420' } })],
    [
      'un-normalized url',
      JSON.stringify({ version: 1, server: { mode: 'connect', url: '192.168.1.20' } }),
    ],
    [
      'url with a path',
      JSON.stringify({ version: 1, server: { mode: 'connect', url: 'http://a:1/x' } }),
    ],
    [
      'javascript url',
      JSON.stringify({ version: 1, server: { mode: 'connect', url: 'javascript:alert(1)' } }),
    ],
    ['array', '[]'],
  ])('treats a file with %s as "no choice"', async (_name, text) => {
    const f = file();
    await writeSettings(f, EMPTY_SETTINGS);
    writeFileSync(f, text);
    expect(await readSettings(f)).toEqual(EMPTY_SETTINGS);
  });

  it('refuses to write invalid settings', async () => {
    const bad = { version: 1, server: { mode: 'host', port: -1 } } as unknown as Settings;
    await expect(writeSettings(file(), bad)).rejects.toThrow();
  });
});
