/** Shown names (look-alikes get the username) and invite links. */
import { describe, expect, it } from 'vitest';
import { inviteCodeFrom, inviteFromHash, inviteLink } from '../../../renderer/src/lib/invites';
import { lookAlikeKeys } from '../../../protocol/skeleton';
import { shownNames } from '../../../renderer/src/lib/names';

describe('shown names', () => {
  it('adds the username where two people share a display name, case-insensitively after NFC', () => {
    const shown = shownNames(
      [
        { userId: '1', username: 'alice', displayName: 'Alice' },
        { userId: '2', username: 'mallory', displayName: 'ALICE' },
        { userId: '3', username: 'bob', displayName: 'Bob' },
        { userId: '4', username: 'zoe1', displayName: 'Zo\u00EB' },
        { userId: '5', username: 'zoe2', displayName: 'Zoe\u0308' },
      ],
      lookAlikeKeys,
    );
    expect(Object.fromEntries(shown)).toEqual({
      '1': 'Alice (@alice)',
      '2': 'ALICE (@mallory)',
      '3': 'Bob',
      '4': 'Zo\u00EB (@zoe1)',
      '5': 'Zoe\u0308 (@zoe2)',
    });
  });

  it('adds it where names only look alike: other scripts, I for l, styled letters', () => {
    const impostors: [string, string][] = [
      ['\u0410lice', 'Cyrillic capital A'],
      ['\u0430lice', 'Cyrillic small a, against "alice"'],
      ['AIice', 'capital I for small l'],
      ['A1ice', 'digit one for small l'],
      ['\u{1D400}lice', 'mathematical bold A'],
      ['\u0391LICE', 'Greek capital Alpha, in capitals'],
      ['Alice  ', 'trailing spaces'],
    ];
    for (const [impostor, why] of impostors) {
      const real = why.includes('"alice"') ? 'alice' : 'Alice';
      const shown = shownNames(
        [
          { userId: '1', username: 'alice', displayName: real },
          { userId: '2', username: 'mallory', displayName: impostor },
        ],
        lookAlikeKeys,
      );
      expect([why, shown.get('1'), shown.get('2')]).toEqual([
        why,
        `${real} (@alice)`,
        `${impostor} (@mallory)`,
      ]);
    }
  });

  it('leaves unique names alone', () => {
    const shown = shownNames(
      [
        { userId: '1', username: 'alice', displayName: 'Alice' },
        { userId: '2', username: 'alicia', displayName: 'Alicia' },
        { userId: '3', username: 'olga', displayName: '\u041E\u043B\u044C\u0433\u0430' },
        { userId: '4', username: 'wang', displayName: '\u738B\u5C0F\u660E' },
      ],
      lookAlikeKeys,
    );
    expect([...shown.values()]).toEqual(['Alice', 'Alicia', 'Ольга', '王小明']);
  });

  it('before the table is loaded compares after NFC and case only; if it failed, shows every username', () => {
    const people = [
      { userId: '1', username: 'alice', displayName: 'Alice' },
      { userId: '2', username: 'mallory', displayName: '\u0410lice' },
      { userId: '3', username: 'al', displayName: 'alice' },
      { userId: '4', username: 'bob', displayName: 'Bob' },
    ];
    expect([...shownNames(people, 'loading').values()]).toEqual([
      'Alice (@alice)',
      '\u0410lice',
      'alice (@al)',
      'Bob',
    ]);
    expect([...shownNames(people, 'failed').values()]).toEqual([
      'Alice (@alice)',
      '\u0410lice (@mallory)',
      'alice (@al)',
      'Bob (@bob)',
    ]);
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
