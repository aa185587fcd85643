/** Trust on first use: the pin store accepts, persists (0600) and tells a changed certificate apart. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PinStore } from '../../../desktop/pins';
import { tempDir } from '../../support/servers';

const A = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);
const B = A.replace(/^00/, 'FF');

describe('PinStore', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  function file(): string {
    const tmp = tempDir('tickline-pins-');
    dirs.push(tmp);
    return path.join(tmp.dir, 'sub', 'pins.json');
  }

  it('pins on acceptance and keeps the pin across restarts, in a 0600 file', async () => {
    const where = file();
    const pins = new PinStore(where);
    await pins.load();
    expect(pins.check('https://10.0.0.5:7420', A)).toBe('new');
    await pins.set('https://10.0.0.5:7420', A);
    expect(pins.check('https://10.0.0.5:7420', A)).toBe('same');

    const again = new PinStore(where);
    await again.load();
    expect(again.get('https://10.0.0.5:7420')).toBe(A);
    expect(again.check('https://10.0.0.5:7420', A)).toBe('same');
    expect(statSync(where).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(where, 'utf8'))).toEqual({
      version: 1,
      pins: { 'https://10.0.0.5:7420': A },
    });
  });

  it('tells a changed certificate apart, per origin', async () => {
    const pins = new PinStore(file());
    await pins.set('https://10.0.0.5:7420', A);
    expect(pins.check('https://10.0.0.5:7420', B)).toBe('changed');
    expect(pins.check('https://10.0.0.5:7421', B)).toBe('new');
    expect(pins.forHost('10.0.0.5')).toEqual([A]);
    expect(pins.forHost('10.0.0.6')).toEqual([]);
  });

  it('matches IPv6 hosts with or without brackets', async () => {
    const pins = new PinStore(file());
    await pins.set('https://[fd00::5]:7420', A);
    expect(pins.forHost('fd00::5')).toEqual([A]);
    expect(pins.forHost('[fd00::5]')).toEqual([A]);
  });

  it('refuses what is not a fingerprint and changes nothing', async () => {
    const where = file();
    const pins = new PinStore(where);
    await expect(pins.set('https://h:1', 'ab:cd')).rejects.toThrow();
    expect(pins.get('https://h:1')).toBeUndefined();
    expect(() => statSync(where)).toThrow();
  });

  it('pins nothing from a damaged or foreign file', async () => {
    const where = file();
    await new PinStore(where).set('https://h:1', A);
    for (const text of ['{', JSON.stringify({ version: 1, pins: { 'https://h:1': 'x' } })]) {
      writeFileSync(where, text);
      const pins = new PinStore(where);
      await pins.load();
      expect(pins.get('https://h:1')).toBeUndefined();
    }
  });

  it('tells listeners about a new pin (the app re-installs its certificate check)', async () => {
    const pins = new PinStore(file());
    let changes = 0;
    pins.onChange(() => (changes += 1));
    await pins.set('https://h:1', A);
    await pins.set('https://h:1', A);
    await pins.set('https://h:1', B);
    expect(changes).toBe(2);
  });
});
