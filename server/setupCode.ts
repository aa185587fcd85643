import { randomInt, timingSafeEqual } from 'node:crypto';
import { normalizeSetupCode, SETUP_CODE_ALPHABET, SETUP_CODE_LENGTH } from '../protocol';
import { hashToken } from './sessions';

/** Letters per dash-separated group when a setup code is shown (`XXXX-XXXX-…`). */
const GROUP = 4;

/** A new setup code, 100 random bits, shown as `XXXX-XXXX-XXXX-XXXX-XXXX`. */
export function newSetupCode(): string {
  let code = '';
  for (let i = 0; i < SETUP_CODE_LENGTH; i++) {
    if (i > 0 && i % GROUP === 0) code += '-';
    code += SETUP_CODE_ALPHABET[randomInt(SETUP_CODE_ALPHABET.length)];
  }
  return code;
}

/**
 * Checks codes against one setup code, of which it keeps only the SHA-256
 * hash; two hashes of equal length are compared in constant time.
 */
export class SetupCodeCheck {
  private readonly hash: Buffer;

  constructor(code: string) {
    this.hash = hashToken(normalizeSetupCode(code));
  }

  /** True when `typed` (in any form {@link normalizeSetupCode} accepts) is the code. */
  matches(typed: string): boolean {
    return timingSafeEqual(this.hash, hashToken(normalizeSetupCode(typed)));
  }
}
