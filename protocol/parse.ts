import type { z } from 'zod';
import { fail, type Failure } from './errors';
import { checkBodySize, msgRSchema, type MsgR } from './schemas';
import { MAX_BODY_BYTES } from './limits';

/** The result of parsing an untrusted payload. */
export type Parsed<T> = { ok: true; value: T } | Failure;

/** Parses an untrusted payload with `schema`; failure is `invalid_input`. */
export function parseWith<S extends z.ZodType>(schema: S, payload: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  const first = result.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return fail('invalid_input', `${where}${first?.message ?? 'invalid payload'}`);
}

/**
 * Parses a `msg:R` (wire-v1 shape unless another `schema` is given),
 * answering `too_large` for an oversized body.
 */
export function parseMsgR(payload: unknown, schema: z.ZodType<MsgR> = msgRSchema): Parsed<MsgR> {
  const parsed = parseWith(schema, payload);
  if (parsed.ok && !checkBodySize(parsed.value.body)) {
    return fail('too_large', `body exceeds ${MAX_BODY_BYTES} UTF-8 bytes`);
  }
  return parsed;
}
