import { z } from 'zod';
import { MAX_BODY_BYTES, MAX_ID_LENGTH, OFFLINEACK_MAX_IDS, OFFLINE_MAX_LIMIT } from './limits';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A sender-chosen message id: 1–64 of `A-Z a-z 0-9 _ -`. */
export const messageIdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN);
/** A server-assigned user id (same alphabet as message ids). */
export const userIdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN);
/** Server time in milliseconds. */
export const tsSchema = z.number().int().nonnegative();
/**
 * A message body: non-empty text. The byte limit is checked separately by
 * {@link checkBodySize} so that it can answer `too_large` rather than
 * `invalid_input`.
 */
export const bodySchema = z.string().min(1);

/** `msg:R`: sender → server. */
export const msgRSchema = z.object({ id: messageIdSchema, to: userIdSchema, body: bodySchema });
/** `msg:R` payload. */
export type MsgR = z.infer<typeof msgRSchema>;

/** `msg:A`: the acknowledgement of `msg:R`. */
export const msgASchema = z.object({ ok: z.literal(true), id: messageIdSchema, ts: tsSchema });
/** `msg:A` payload. */
export type MsgA = z.infer<typeof msgASchema>;

/** `msg:N`: server → recipient. */
export const msgNSchema = z.object({
  id: messageIdSchema,
  from: userIdSchema,
  to: userIdSchema,
  body: bodySchema,
  ts: tsSchema,
});
/** `msg:N` payload. */
export type MsgN = z.infer<typeof msgNSchema>;

/** `ack:R`: recipient → server, names one message by `(from, id)`. */
export const ackRSchema = z.object({ from: userIdSchema, id: messageIdSchema });
/** `ack:R` payload. */
export type AckR = z.infer<typeof ackRSchema>;

/** `ack:A` and `offlineack:A`: a bare success. */
export const okSchema = z.object({ ok: z.literal(true) });
/** A bare success. */
export type Ok = z.infer<typeof okSchema>;

/** `ack:N`: server → sender; `offline` marks the stand-in acknowledgement. */
export const ackNSchema = z.object({
  id: messageIdSchema,
  to: userIdSchema,
  offline: z.boolean(),
  ts: tsSchema,
});
/** `ack:N` payload. */
export type AckN = z.infer<typeof ackNSchema>;

/** `offline:R`: pull what this user has not acknowledged. */
export const offlineRSchema = z.object({
  limit: z.number().int().min(1).max(OFFLINE_MAX_LIMIT).optional(),
});
/** `offline:R` payload. */
export type OfflineR = z.infer<typeof offlineRSchema>;

/** `offline:A`: one page, oldest first. */
export const offlineASchema = z.object({
  ok: z.literal(true),
  messages: z.array(msgNSchema),
  more: z.boolean(),
});
/** `offline:A` payload. */
export type OfflineA = z.infer<typeof offlineASchema>;

/** `offlineack:R`: confirm pulled messages. */
export const offlineackRSchema = z.object({
  ids: z.array(ackRSchema).max(OFFLINEACK_MAX_IDS),
});
/** `offlineack:R` payload. */
export type OfflineackR = z.infer<typeof offlineackRSchema>;

/** One presence change: a user came online or went offline. */
export const presenceChangeSchema = z.object({ userId: userIdSchema, online: z.boolean() });
/** One presence change. */
export type PresenceChange = z.infer<typeof presenceChangeSchema>;

/**
 * `presence:N` (extension): the presence changes of the last short window,
 * batched so that many users connecting at once cost one push per window.
 */
export const presenceNSchema = z.object({ changes: z.array(presenceChangeSchema) });
/** `presence:N` payload. */
export type PresenceN = z.infer<typeof presenceNSchema>;

/** Usernames: 3–32 of `a-z 0-9 _ . -`, case-insensitive, stored lower-case. */
export const usernameSchema = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/)
  .transform((s) => s.toLowerCase());
/** Passwords: 8–256 characters. */
export const passwordSchema = z.string().min(8).max(256);
/** Display names: 1–64 characters after trimming. */
export const displayNameSchema = z.string().trim().min(1).max(64);

/** `POST /api/register` body. */
export const registerBodySchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  displayName: displayNameSchema.optional(),
});
/** `POST /api/register` body. */
export type RegisterBody = z.infer<typeof registerBodySchema>;

/** `POST /api/login` body. */
export const loginBodySchema = z.object({ username: usernameSchema, password: passwordSchema });
/** `POST /api/login` body. */
export type LoginBody = z.infer<typeof loginBodySchema>;

/** Answer of register and login. */
export const sessionSchema = z.object({
  userId: userIdSchema,
  username: z.string(),
  displayName: z.string(),
  token: z.string(),
});
/** Answer of register and login. */
export type Session = z.infer<typeof sessionSchema>;

/** One entry of `GET /api/users`. */
export const userSchema = z.object({
  userId: userIdSchema,
  username: z.string(),
  displayName: z.string(),
  online: z.boolean(),
});
/** One entry of `GET /api/users`. */
export type User = z.infer<typeof userSchema>;

/** `GET /api/users` answer. */
export const usersResponseSchema = z.object({ users: z.array(userSchema) });

/** `GET /api/config`: the retry policy clients of this server use. */
export const clientPolicySchema = z.object({
  ackTimeoutMs: z.number().int().min(1).max(600_000),
  maxAttempts: z.number().int().min(1).max(100),
});
/** `GET /api/config` answer. */
export type ClientPolicy = z.infer<typeof clientPolicySchema>;

/** UTF-8 length of a string without allocating for the common cases. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** True when `body` fits {@link MAX_BODY_BYTES} once encoded as UTF-8. */
export function checkBodySize(body: string): boolean {
  // Every UTF-16 unit is 1–3 UTF-8 bytes, so most bodies need no encoding.
  if (body.length * 3 <= MAX_BODY_BYTES) return true;
  if (body.length > MAX_BODY_BYTES) return false;
  return utf8Length(body) <= MAX_BODY_BYTES;
}
