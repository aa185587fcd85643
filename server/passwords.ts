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

/** Derives a key from a password (scrypt; replaceable in tests). */
export type Derive = (password: string, salt: Buffer, params: ScryptParams) => Promise<Buffer>;

/** scrypt on libuv's thread pool. */
export const scryptDerive: Derive = (password, salt, params) => {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is too small.
  const maxmem = 128 * params.N * params.r * 2;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
};

/** Thrown when the hash queue is full: try again after `retryAfterMs`. */
export class HasherBusy extends Error {
  constructor(readonly retryAfterMs: number) {
    super('password hashing is busy');
    this.name = 'HasherBusy';
  }
}

/** How a {@link PasswordHasher} runs. */
export interface HasherOptions {
  /** Hashes running at once (default 2). */
  concurrency?: number;
  /** Hashes waiting at most; more are refused with {@link HasherBusy} (default 32). */
  maxQueue?: number;
  /** The key derivation (default scrypt). */
  derive?: Derive;
}

/** Assumed duration of one hash until one has been measured. */
const FIRST_GUESS_MS = 300;

/**
 * Hashes and verifies passwords with scrypt on libuv's thread pool, at most
 * `concurrency` at a time so that a burst of sign-ins cannot exhaust memory
 * (each hash holds 128 MiB at OWASP's parameters) or the pool, and with at
 * most `maxQueue` waiting so that a burst cannot queue without bound.
 */
export class PasswordHasher {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private readonly derive: Derive;
  private averageMs = FIRST_GUESS_MS;
  /** Key derivations started so far (for tests and diagnostics). */
  derivations = 0;

  constructor(
    private readonly params: ScryptParams = OWASP_SCRYPT,
    options: HasherOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { concurrency: options } : options;
    this.concurrency = o.concurrency ?? 2;
    this.maxQueue = o.maxQueue ?? 32;
    this.derive = o.derive ?? scryptDerive;
  }

  /** Returns `scrypt$N$r$p$salt$hash` (base64url parts). */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.limited(() => this.derive(password, salt, this.params));
    const { N, r, p } = this.params;
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** True when `password` matches `stored`; runs the same cost on a miss. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const parts = stored?.split('$');
    if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
      // Unknown user: spend the same time so timing does not reveal it.
      await this.limited(() => this.derive(password, randomBytes(16), this.params));
      return false;
    }
    const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    const params = { N: Number(n), r: Number(r), p: Number(p) };
    const expected = Buffer.from(hash, 'base64url');
    const key = await this.limited(() =>
      this.derive(password, Buffer.from(salt, 'base64url'), params),
    );
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /**
   * True when `stored` was made with other parameters than this hasher's (or
   * is not a scrypt hash at all): it should be hashed again at the next
   * successful sign-in.
   */
  needsRehash(stored: string): boolean {
    const parts = stored.split('$');
    const { N, r, p } = this.params;
    return (
      parts.length !== 6 ||
      parts[0] !== 'scrypt' ||
      parts.slice(1, 4).join('$') !== `${N}$${r}$${p}`
    );
  }

  /** Refuses at once (throws {@link HasherBusy}) when the queue is full. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        const rounds = Math.ceil((this.waiting.length + 1) / this.concurrency);
        throw new HasherBusy(Math.max(1_000, rounds * this.averageMs));
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    const started = performance.now();
    this.derivations++;
    try {
      return await task();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
