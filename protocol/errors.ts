import { z } from 'zod';

/** Every error code the server may answer with (HTTP and Socket.IO). */
export const ERROR_CODES = [
  'invalid_input',
  'too_large',
  'unknown_recipient',
  'not_found',
  'id_conflict',
  'rate_limited',
  'internal',
  'unauthorized',
  'username_taken',
  'registration_closed',
  'bad_credentials',
  'protocol_unsupported',
  'forbidden',
  'inbox_full',
  'unknown_event',
  'unavailable',
  'invite_required',
  'account_disabled',
  'last_admin',
  'invalid_code',
  'out_of_order',
  'setup_required',
] as const;

/** One error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error object carried by every failed answer. */
export const errorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** With `rate_limited`, `inbox_full` and `unavailable`: when trying again may succeed. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});
/** The error object carried by every failed answer. */
export type WireError = z.infer<typeof errorSchema>;

/** A failed Socket.IO acknowledgement. */
export interface Failure {
  ok: false;
  error: WireError;
}

/** Builds a failed acknowledgement. */
export function fail(code: ErrorCode, message: string, retryAfterMs?: number): Failure {
  return retryAfterMs === undefined
    ? { ok: false, error: { code, message } }
    : { ok: false, error: { code, message, retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)) } };
}

/**
 * The JSON body of a failed HTTP request: wire-v1's `{error}`, extended with
 * `ok: false` (the same shape as a failed acknowledgement).
 */
export interface HttpErrorBody {
  ok: false;
  error: WireError;
}
