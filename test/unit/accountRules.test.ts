/** Pure rules of issue 10: name characters, session expiry steps and bounds, rehash detection. */
import { describe, expect, it } from 'vitest';
import {
  displayNameSchema,
  groupNameSchema,
  isCleanName,
  nameKey,
  registerBodySchema,
  NAME_CHARACTERS_MESSAGE,
  NAME_SPACES_MESSAGE,
  NAME_START_MESSAGE,
} from '../../protocol';
import { lookAlikeKeys, skeleton } from '../../protocol/skeleton';
import { PasswordHasher } from '../../server/passwords';
import {
  checkSessionTtl,
  DEFAULT_SESSION_TTL_MS,
  MAX_SESSION_TTL_MS,
  SESSION_SLIDE_STEP_MS,
  slidExpiry,
} from '../../server/sessions';

describe('names', () => {
  it('refuses every control, bidi, zero-width and other format character', () => {
    const refused = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
      0x202a,
      0x202b,
      0x202c,
      0x202d,
      0x202e,
      0x2066,
      0x2067,
      0x2068,
      0x2069,
      0x200e,
      0x200f,
      0x061c,
      0x200b,
      0x200c,
      0x200d,
      0x2060,
      0xfeff,
      0x00ad,
      0x2061,
      0xfff9,
      0x1d173,
      0xe0001,
      0x2028,
      0x2029,
      0x3164,
      0x115f,
    ];
    for (const cp of refused) {
      const name = `Al${String.fromCodePoint(cp)}ice`;
      expect([cp.toString(16), isCleanName(name)]).toEqual([cp.toString(16), false]);
      const parsed = displayNameSchema.safeParse(name);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(NAME_CHARACTERS_MESSAGE);
    }
  });

  it('keeps letters, marks, digits, spaces, punctuation and emoji of every script', () => {
    for (const name of [
      'Alice',
      'Zoë',
      '王小明',
      'Ольга',
      'محمد',
      'יעל',
      'Ana-María O’Neil',
      '🎉 Team',
    ]) {
      expect([name, isCleanName(name)]).toEqual([name, true]);
      expect(displayNameSchema.parse(name)).toBe(name.normalize('NFC'));
    }
  });

  it('normalises to NFC and trims', () => {
    expect(displayNameSchema.parse('  Cafe\u0301 ')).toBe('Caf\u00e9');
    const body = registerBodySchema.parse({
      username: 'Ana',
      password: 'long enough',
      displayName: 'A\u030Angstro\u0308m',
    });
    expect(body.displayName).toBe('\u00C5ngstr\u00F6m');
    expect(displayNameSchema.safeParse('   ').success).toBe(false);
  });

  it('compares names case-insensitively after NFC (before the confusables table is loaded)', () => {
    expect(nameKey('ALICE')).toBe(nameKey('alice'));
    expect(nameKey('Zoe\u0308')).toBe(nameKey('zo\u00EB'));
    expect(nameKey('Alice')).not.toBe(nameKey('\u0410lice')); // the skeleton's job
  });
});

/** The message `displayNameSchema` refuses `name` with (undefined when it takes it). */
function refusal(name: string): string | undefined {
  const parsed = displayNameSchema.safeParse(name);
  return parsed.success ? undefined : parsed.error.issues.map((i) => i.message).join('; ');
}

describe('names: nothing invisible, no odd spaces, something to see (issue 21)', () => {
  it('refuses the default-ignorable characters that slipped through, with the characters message', () => {
    for (const [what, ch] of [
      ['combining grapheme joiner', '\u034F'],
      ['variation selector 16 after a letter', '\uFE0F'],
      ['variation selector 15 after a letter', '\uFE0E'],
      ['ideographic variation selector after a letter', '\u{E0100}'],
      ['Khmer vowel inherent AA', '\u17B5'],
      ['Khmer vowel inherent AQ', '\u17B4'],
      ['Mongolian free variation selector', '\u180B'],
      ['variation selector 1', '\uFE00'],
      ['Hangul filler', '\u3164'],
      ['halfwidth Hangul filler', '\uFFA0'],
    ]) {
      expect([what, refusal(`Alic${ch}e`)]).toEqual([what, NAME_CHARACTERS_MESSAGE]);
      expect([what, refusal(`Alice${ch}`)]).toEqual([what, NAME_CHARACTERS_MESSAGE]);
    }
  });

  it('refuses blank symbols, private-use characters and half a surrogate pair', () => {
    for (const ch of ['\u2800', '\uE000', '\u{F0000}', '\uD800', '\uDC00']) {
      expect([ch, refusal(`Al${ch}ice`)]).toEqual([ch, NAME_CHARACTERS_MESSAGE]);
    }
  });

  it('takes a variation selector right after an emoji, in a keycap, or after a CJK ideograph', () => {
    for (const name of [
      '\u2764\uFE0F', // ❤️
      'Ana \u2764\uFE0F',
      '\u2764\uFE0E Ana', // text style
      '\u{1F389}\uFE0F Team',
      '1\uFE0F\u20E3 Team', // 1️⃣
      '#\uFE0F\u20E3',
      '\u845B\u{E0100}\u57CE', // 葛󠄀城: a registered variant of 葛
    ]) {
      expect([name, refusal(name)]).toEqual([name, undefined]);
      expect(displayNameSchema.parse(name)).toBe(name);
    }
  });

  it('refuses a selector anywhere else: doubled, after a space, a digit without keycap, or first', () => {
    for (const name of [
      '\u2764\uFE0F\uFE0F',
      'Ana \uFE0F',
      'Bob2\uFE0F',
      '\uFE0FAna',
      '\u2764\u{E0100}', // an ideographic selector after an emoji
      '\u2764\uFE00',
      'A\uFE0F\u20E3',
    ]) {
      expect([name, refusal(name)]).toEqual([name, NAME_CHARACTERS_MESSAGE]);
    }
  });

  it('takes a plain space and an ideographic space inside a name, no other space', () => {
    expect(refusal('Ana Mar\u00EDa')).toBeUndefined();
    expect(refusal('\u5C71\u7530\u3000\u592A\u90CE')).toBeUndefined(); // Yamada Taro, ideographic space
    const odd = [
      0x00a0,
      0x1680,
      ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
      0x202f,
      0x205f,
    ];
    for (const cp of odd) {
      const name = `Al${String.fromCodePoint(cp)}ice`;
      expect([cp.toString(16), refusal(name)]).toEqual([cp.toString(16), NAME_SPACES_MESSAGE]);
    }
  });

  it('refuses names of only combining marks and spaces, or that start with a mark', () => {
    for (const name of [
      '\u0301',
      '\u0301\u0302\u0303',
      '\u0301 \u0301',
      ' \u20DD ',
      '\u0301Alice',
    ]) {
      expect([name, refusal(name)]).toEqual([name, NAME_START_MESSAGE]);
    }
    // Marks on letters are fine, and so is a mark standing alone after a space.
    expect(refusal('Ra\u0301ul \u0301')).toBeUndefined();
  });

  it('group names follow the same rules', () => {
    expect(groupNameSchema.safeParse('Team\u034F').success).toBe(false);
    expect(groupNameSchema.safeParse('Team \u2764\uFE0F').success).toBe(true);
  });
});

describe('the confusable skeleton (UTS #39)', () => {
  it('maps look-alikes of other scripts, styled letters and ASCII to one prototype', () => {
    expect(skeleton('\u0410lice')).toBe('Alice'); // Cyrillic А
    expect(skeleton('\u0391lice')).toBe('Alice'); // Greek Α
    expect(skeleton('AIice')).toBe('Alice'); // capital I as l
    expect(skeleton('A1ice')).toBe('Alice');
    expect(skeleton('\u{1D400}lice')).toBe('Alice'); // mathematical bold A
    expect(skeleton('\uFF21lice')).toBe('Alice'); // fullwidth A
    expect(skeleton('rnary')).toBe(skeleton('mary'));
    expect(skeleton('B0b')).toBe(skeleton('BOb'));
  });

  it('drops default-ignorable characters, applies NFD, keeps case', () => {
    expect(skeleton('Al\u034Fi\u200Bce')).toBe('Alice');
    expect(skeleton('Zo\u00EB')).toBe('Zoe\u0308');
    expect(skeleton('\u2764\uFE0F')).toBe('\u2764');
    expect(skeleton('alice')).not.toBe(skeleton('Alice'));
    expect(skeleton('Bob')).not.toBe(skeleton('Rob'));
    // Hebrew hiriq (class 14) becomes a dot below (220): NFD again puts it after the ogonek (202).
    expect(skeleton('a\u0328\u05B4')).toBe(skeleton('a\u0328\u0323'));
  });

  it('maps the odd spaces to a plain one; the look-alike keys make runs of spaces one', () => {
    expect(skeleton('Ana\u00A0Mar\u200Aia')).toBe('Ana Mar ia');
    expect(lookAlikeKeys('Ana  Maria')).toEqual(lookAlikeKeys('Ana Maria'));
  });

  it('gives the same key to names that look alike as written or only differ in case', () => {
    const [asWritten, caseless] = lookAlikeKeys('Alice');
    expect(lookAlikeKeys('AIice')[0]).toBe(asWritten);
    expect(lookAlikeKeys('\u0410lice')[0]).toBe(asWritten);
    expect(lookAlikeKeys('ALICE')[1]).toBe(caseless);
    expect(lookAlikeKeys('\u0391LICE')[1]).toBe(caseless); // Greek capital Α, then case
    expect(lookAlikeKeys('  Alice ')).toEqual([asWritten, caseless]);
    expect(lookAlikeKeys('Alicia')).not.toContain(asWritten);
    expect(lookAlikeKeys('Alicia')).not.toContain(caseless);
  });
});

describe('session expiry', () => {
  const ttl = DEFAULT_SESSION_TTL_MS;

  it('moves only in steps of at least a minute', () => {
    const now = 1_000_000_000;
    expect(slidExpiry(now + ttl, now, ttl)).toBeUndefined();
    expect(slidExpiry(now + ttl, now + SESSION_SLIDE_STEP_MS - 1, ttl)).toBeUndefined();
    expect(slidExpiry(now + ttl, now + SESSION_SLIDE_STEP_MS, ttl)).toBe(
      now + SESSION_SLIDE_STEP_MS + ttl,
    );
    // Never moves an expiry backwards (a shorter TTL after a restart).
    expect(slidExpiry(now + ttl, now, ttl / 2)).toBeUndefined();
  });

  it('accepts lifetimes from a minute to 90 days, nothing else', () => {
    expect(checkSessionTtl(DEFAULT_SESSION_TTL_MS)).toBe(30 * 86_400_000);
    expect(checkSessionTtl(MAX_SESSION_TTL_MS)).toBe(90 * 86_400_000);
    for (const bad of [MAX_SESSION_TTL_MS + 1, 0, -1, 59_999, Number.NaN, Infinity]) {
      expect(() => checkSessionTtl(bad)).toThrow(/between 1 minute and 90 days/);
    }
  });
});

describe('password rehash', () => {
  it('asks for a new hash exactly when the stored parameters differ', async () => {
    const fast = { N: 2 ** 10, r: 8, p: 1 };
    const hasher = new PasswordHasher(fast);
    const stored = await hasher.hash('a password');
    expect(hasher.needsRehash(stored)).toBe(false);
    expect(new PasswordHasher({ N: 2 ** 11, r: 8, p: 1 }).needsRehash(stored)).toBe(true);
    expect(new PasswordHasher({ N: 2 ** 10, r: 16, p: 1 }).needsRehash(stored)).toBe(true);
    expect(new PasswordHasher({ N: 2 ** 10, r: 8, p: 2 }).needsRehash(stored)).toBe(true);
    expect(hasher.needsRehash('bcrypt$whatever')).toBe(true);
  });
});
