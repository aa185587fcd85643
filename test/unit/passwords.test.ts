import { describe, expect, it } from 'vitest';
import { OWASP_SCRYPT, PasswordHasher } from '../../server/passwords';
import { hashToken, newToken } from '../../server/sessions';

describe('passwords', () => {
  it('hashes with OWASP scrypt parameters and verifies', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(new RegExp(`^scrypt\\$${OWASP_SCRYPT.N}\\$8\\$1\\$`));
    expect(await hasher.verify('correct horse', hash)).toBe(true);
    expect(await hasher.verify('wrong horse', hash)).toBe(false);
    expect(await hasher.verify('anything', undefined)).toBe(false);
  });

  it('salts every hash and never runs more than the cap at once', async () => {
    const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 }, 2);
    const spy = hasher as unknown as { active: number };
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, spy.active)), 0);
    const hashes = await Promise.all(Array.from({ length: 8 }, () => hasher.hash('same password')));
    clearInterval(watch);
    expect(new Set(hashes).size).toBe(8);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('makes 256-bit tokens and stores only their hash', () => {
    const token = newToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hashToken(token)).toHaveLength(32);
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(newToken()).not.toBe(token);
  });
});
