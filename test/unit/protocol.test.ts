import { describe, expect, it } from 'vitest';
import {
  checkBodySize,
  MAX_BODY_BYTES,
  msgRSchema,
  parseMsgR,
  parseWith,
  registerBodySchema,
  utf8Length,
} from '../../protocol';

describe('protocol schemas', () => {
  it('accepts ids of A-Z a-z 0-9 _ - up to 64 characters', () => {
    for (const id of ['a', 'A-b_9', 'x'.repeat(64), '0f8fad5b-d9cb-469f-a165-70867728950e']) {
      expect(msgRSchema.safeParse({ id, to: 'u1', body: 'b' }).success).toBe(true);
    }
    for (const id of ['', 'x'.repeat(65), 'a b', 'a/b', 'é', 'a.b']) {
      expect(msgRSchema.safeParse({ id, to: 'u1', body: 'b' }).success).toBe(false);
    }
  });

  it('measures bodies in UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(checkBodySize('a'.repeat(MAX_BODY_BYTES))).toBe(true);
    expect(checkBodySize('a'.repeat(MAX_BODY_BYTES + 1))).toBe(false);
    expect(checkBodySize('😀'.repeat(MAX_BODY_BYTES / 4))).toBe(true);
    expect(checkBodySize('😀'.repeat(MAX_BODY_BYTES / 4) + 'a')).toBe(false);
  });

  it('answers too_large for big bodies and invalid_input for malformed packets', () => {
    expect(parseMsgR({ id: 'a', to: 'b', body: '€'.repeat(6000) })).toMatchObject({
      ok: false,
      error: { code: 'too_large' },
    });
    expect(parseMsgR({ id: 'a', to: 'b', body: '' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(parseMsgR(null)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(parseMsgR({ id: 'a', to: 'b', body: 'hi', extra: 1 })).toEqual({
      ok: true,
      value: { id: 'a', to: 'b', body: 'hi' },
    });
  });

  it('lower-cases usernames and names the failing field', () => {
    expect(parseWith(registerBodySchema, { username: 'Bob.S', password: '12345678' })).toEqual({
      ok: true,
      value: { username: 'bob.s', password: '12345678' },
    });
    const bad = parseWith(registerBodySchema, { username: 'bo', password: '12345678' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    if (!bad.ok) expect(bad.error.message).toMatch(/^username: /);
  });
});
