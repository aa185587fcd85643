/** Shown names (duplicates get the username) and invite links. */
import { describe, expect, it } from 'vitest';
import { inviteCodeFrom, inviteFromHash, inviteLink } from '../../../renderer/src/lib/invites';
import { shownNames } from '../../../renderer/src/lib/names';

describe('shown names', () => {
  it('adds the username where two people share a display name, case-insensitively after NFC', () => {
    const shown = shownNames([
      { userId: '1', username: 'alice', displayName: 'Alice' },
      { userId: '2', username: 'mallory', displayName: 'ALICE' },
      { userId: '3', username: 'bob', displayName: 'Bob' },
      { userId: '4', username: 'zoe1', displayName: 'Zo\u00EB' },
      { userId: '5', username: 'zoe2', displayName: 'Zoe\u0308' },
    ]);
    expect(Object.fromEntries(shown)).toEqual({
      '1': 'Alice (@alice)',
      '2': 'ALICE (@mallory)',
      '3': 'Bob',
      '4': 'Zo\u00EB (@zoe1)',
      '5': 'Zoe\u0308 (@zoe2)',
    });
  });

  it('leaves unique names alone', () => {
    const shown = shownNames([
      { userId: '1', username: 'alice', displayName: 'Alice' },
      { userId: '2', username: 'alicia', displayName: 'Alicia' },
    ]);
    expect([...shown.values()]).toEqual(['Alice', 'Alicia']);
  });
});

describe('invite links', () => {
  const code = 'nrZ8nwJDB87dYehbKT3nVA';

  it('builds the link and reads the code back from it, from a bare code, or a hash', () => {
    const link = inviteLink('https://192.168.1.5:7420/', code);
    expect(link).toBe(`https://192.168.1.5:7420/#/invite/${code}`);
    expect(inviteCodeFrom(link)).toBe(code);
    expect(inviteCodeFrom(`  ${code} `)).toBe(code);
    expect(inviteFromHash(`#/invite/${code}`)).toBe(code);
  });

  it('finds nothing in other text', () => {
    for (const text of ['', 'hello', 'https://x/#/invite/short', `https://x/#/other/${code}`]) {
      expect(inviteCodeFrom(text)).toBeUndefined();
    }
    expect(inviteFromHash('#/settings')).toBeUndefined();
  });
});
