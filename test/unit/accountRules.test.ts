/** Pure rules of issue 10: name characters, session expiry steps and bounds, rehash detection. */
import { describe, expect, it } from 'vitest';
import {
  displayNameSchema,
  isCleanName,
  nameKey,
  registerBodySchema,
  NAME_CHARACTERS_MESSAGE,
} from '../../protocol';
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

  it('compares names case-insensitively after NFC', () => {
    expect(nameKey('ALICE')).toBe(nameKey('alice'));
    expect(nameKey('Zoe\u0308')).toBe(nameKey('zo\u00EB'));
    expect(nameKey('Alice')).not.toBe(nameKey('Аlice')); // Cyrillic А: out of scope
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
