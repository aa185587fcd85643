import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's recommended scrypt parameters (N=2^17, r=8, p=1). */
export const OWASP_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is too small.
  const maxmem = 128 * params.N * params.r * 2;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes and verifies passwords with scrypt on libuv's thread pool, at most
 * `concurrency` at a time so that a burst of sign-ins cannot exhaust memory
 * (each hash holds 128 MiB at OWASP's parameters) or the pool.
 */
export class PasswordHasher {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly params: ScryptParams = OWASP_SCRYPT,
    private readonly concurrency = 2,
  ) {}

  /** Returns `scrypt$N$r$p$salt$hash` (base64url parts). */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.limited(() => derive(password, salt, this.params));
    const { N, r, p } = this.params;
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** True when `password` matches `stored`; runs the same cost on a miss. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const parts = stored?.split('$');
    if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
      // Unknown user: spend the same time so timing does not reveal it.
      await this.limited(() => derive(password, randomBytes(16), this.params));
      return false;
    }
    const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    const params = { N: Number(n), r: Number(r), p: Number(p) };
    const expected = Buffer.from(hash, 'base64url');
    const key = await this.limited(() => derive(password, Buffer.from(salt, 'base64url'), params));
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
