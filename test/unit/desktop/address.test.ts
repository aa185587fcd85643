import { describe, expect, it } from 'vitest';
import { normalizeServerAddress } from '../../../desktop/address';

describe('normalizeServerAddress', () => {
  it.each([
    ['192.168.1.20', 'http://192.168.1.20:7420'],
    ['  192.168.1.20  ', 'http://192.168.1.20:7420'],
    ['192.168.1.20:8000', 'http://192.168.1.20:8000'],
    ['http://192.168.1.20', 'http://192.168.1.20:7420'],
    ['http://192.168.1.20/', 'http://192.168.1.20:7420'],
    ['HTTP://Chat.LAN:7421', 'http://chat.lan:7421'],
    ['https://chat.example.com', 'https://chat.example.com:7420'],
    ['https://chat.example.com:443', 'https://chat.example.com:443'],
    ['http://chat.lan:80', 'http://chat.lan:80'],
    ['localhost', 'http://localhost:7420'],
    ['[::1]:9000', 'http://[::1]:9000'],
    ['[fe80::1]', 'http://[fe80::1]:7420'],
  ])('%s → %s', (input, url) => {
    expect(normalizeServerAddress(input)).toEqual({ ok: true, url });
  });

  it.each([
    [''],
    ['   '],
    ['ftp://chat.lan'],
    ['file:///etc/passwd'],
    ['javascript://alert(1)'],
    ['http://user:pw@chat.lan'],
    ['chat.lan/some/path'],
    ['chat.lan?x=1'],
    ['chat.lan#x'],
    ['chat .lan'],
    ['chat.lan:70000'],
    ['chat.lan:0'],
    ['http://'],
    ['x'.repeat(3000)],
  ])('refuses %j', (input) => {
    const result = normalizeServerAddress(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
  });
});
