import { describe, expect, it } from 'vitest';
import {
  HasherBusy,
  OWASP_SCRYPT,
  PasswordHasher,
  scryptDerive,
  type Derive,
} from '../../server/passwords';
import { hashToken, newToken } from '../../server/sessions';
import { calibrate } from '../support/calibrate';

/**
 * One derivation at OWASP's cost (N=2^17: 128 MiB, about 0.5–1 s on an idle
 * 2-core machine, several times that under load) timed here, on this machine
 * now: the test at that cost does four (a hash, three verifications).
 */
const owasp = await calibrate('one scrypt derivation at N=2^17, r=8, p=1', () =>
  scryptDerive('calibration', Buffer.alloc(16), OWASP_SCRYPT),
);
const FOUR = { timeout: owasp.timeout(4) };

describe('passwords', () => {
  it('hashes with OWASP scrypt parameters and verifies', FOUR, async () => {
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

  it('refuses at once with HasherBusy when the queue is full, and counts derivations', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const derive: Derive = async (...args) => {
      await gate;
      return scryptDerive(...args);
    };
    const hasher = new PasswordHasher(
      { N: 2 ** 10, r: 8, p: 1 },
      { concurrency: 1, maxQueue: 2, derive },
    );
    const admitted = [hasher.hash('one pw'), hasher.hash('two pw'), hasher.hash('three pw')];
    const refused = await hasher.hash('four pw').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HasherBusy);
    expect((refused as HasherBusy).retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(hasher.derivations).toBe(1);
    open();
    expect(await Promise.all(admitted)).toHaveLength(3);
    expect(hasher.derivations).toBe(3);
    // With the queue drained, hashing is accepted again.
    expect(await hasher.verify('four pw', await hasher.hash('four pw'))).toBe(true);
  });

  it('makes 256-bit tokens and stores only their hash', () => {
    const token = newToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hashToken(token)).toHaveLength(32);
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(newToken()).not.toBe(token);
  });
});
