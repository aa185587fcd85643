import { z } from 'zod';
import { conversationIdSchema, groupIdSchema } from './conversations';
import {
  HISTORY_MAX_LIMIT,
  MAX_BODY_BYTES,
  MAX_DEVICE_NAME,
  MAX_ID_LENGTH,
  OFFLINEACK_MAX_IDS,
  OFFLINE_MAX_LIMIT,
  REPLY_EXCERPT_MAX,
  STATUS_MAX_IDS,
} from './limits';
import { visibleNameSchema } from './names';
import { setupCodeSchema } from './setup';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A sender-chosen message id: 1–64 of `A-Z a-z 0-9 _ -`. */
export const messageIdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN);
/** A server-assigned user id (same alphabet as message ids). */
export const userIdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN);
/** Server time in milliseconds. */
export const tsSchema = z.number().int().nonnegative();
/** A position in a conversation's log: 1, 2, 3… with no gaps. */
export const seqSchema = z.number().int().positive();
/**
 * Where one of the person's own messages stands on the server: stored
 * (`sent`), kept for recipients who are all offline (`stored`), on a device
 * of every recipient (`delivered`), read by every recipient (`read`).
 */
export const outStateSchema = z.enum(['sent', 'stored', 'delivered', 'read']);
/** Where one of the person's own messages stands on the server. */
export type OutState = z.infer<typeof outStateSchema>;
/**
 * A message body: non-empty text. The byte limit is checked separately by
 * {@link checkBodySize} so that it can answer `too_large` rather than
 * `invalid_input`.
 */
export const bodySchema = z.string().min(1);

/** `msg:R`: sender → server. */
export const msgRSchema = z.object({ id: messageIdSchema, to: userIdSchema, body: bodySchema });
/** A message named by its permanent name `(from, id)`: what a reply answers (extension). */
export const messageRefSchema = z.object({ from: userIdSchema, id: messageIdSchema });
/** A message named by `(from, id)`. */
export type MessageRef = z.infer<typeof messageRefSchema>;
/**
 * `msg:R` as protocol 2 also allows it: `to` may be a group's conversation
 * id, `reply` names an earlier message of the same conversation that this
 * one answers, and `after` the id of the message the same device wrote just
 * before it in the conversation, while that one has no `msg:A` yet: the
 * server stores this one only once that one is stored (else `out_of_order`),
 * so a device's messages enter the log in the order they were written.
 */
export const msgR2Schema = msgRSchema.extend({
  to: userIdSchema.or(groupIdSchema),
  reply: messageRefSchema.optional(),
  after: messageIdSchema.optional(),
});
/** `msg:R` payload (wire-v1 fields; protocol 2 may add `reply` and `after`). */
export type MsgR = z.infer<typeof msgRSchema> & { reply?: MessageRef; after?: string };

/** `msg:A`: the acknowledgement of `msg:R` (wire-v1 fields). */
export const msgASchema = z.object({ ok: z.literal(true), id: messageIdSchema, ts: tsSchema });
/** `msg:A` as this server sends it: also the message's conversation and place in its log. */
export const msgA2Schema = msgASchema.extend({ seq: seqSchema, conv: conversationIdSchema });
/** `msg:A` payload (wire-v1 fields; this server adds `seq` and `conv` for protocol 2). */
export type MsgA = z.infer<typeof msgASchema> & Partial<z.infer<typeof msgA2Schema>>;

/** `msg:N`: server → recipient. */
export const msgNSchema = z.object({
  id: messageIdSchema,
  from: userIdSchema,
  to: userIdSchema,
  body: bodySchema,
  ts: tsSchema,
});
/** `msg:N` payload (wire-v1 fields). */
export type MsgN = z.infer<typeof msgNSchema>;

/** Of a message's recipients (the conversation's other members at its `seq`), how many have it and have read it. */
export const receiptCountsSchema = z.object({
  recipients: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  read: z.number().int().nonnegative(),
});
/** Receipt counts. */
export type ReceiptCounts = z.infer<typeof receiptCountsSchema>;

/**
 * The message a reply answers, as entries carry it: its name, its `seq` in
 * the conversation and the start of its text when the reply was stored
 * (empty when its body had already expired).
 */
export const replyQuoteSchema = messageRefSchema.extend({
  seq: seqSchema,
  excerpt: z.string().max(REPLY_EXCERPT_MAX),
});
/** The message a reply answers. */
export type ReplyQuote = z.infer<typeof replyQuoteSchema>;

/**
 * `msg:N` as this server sends it (extension): the conversation and `seq`,
 * and for the person's own messages mirrored to their other devices, where
 * the message stands (`state`).
 */
export const logMsgNSchema = msgNSchema.extend({
  /** A user id, or the group's id for a group message. */
  to: userIdSchema.or(groupIdSchema),
  seq: seqSchema,
  conv: conversationIdSchema,
  state: outStateSchema.optional(),
  /** Own messages: how many recipients have it, and have read it. */
  receipt: receiptCountsSchema.optional(),
  /** `system`: a membership change; its body is a `GroupEvent` as JSON. */
  kind: z.literal('system').optional(),
  /** A reply: the message it answers. */
  reply: replyQuoteSchema.optional(),
});
/** `msg:N` with the log fields. */
export type LogMsgN = z.infer<typeof logMsgNSchema>;

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
/**
 * `ack:N` as this server sends it (extension): also the message's
 * conversation and `seq`, so a sender whose `msg:A` was lost still learns
 * the message's place.
 */
export const ackN2Schema = ackNSchema.extend({
  seq: seqSchema.optional(),
  conv: conversationIdSchema.optional(),
});
/** `ack:N` payload. */
export type AckN = z.infer<typeof ackN2Schema>;

/** `offline:R`: pull what this user has not acknowledged. */
export const offlineRSchema = z.object({
  limit: z.number().int().min(1).max(OFFLINE_MAX_LIMIT).optional(),
});
/** `offline:R` payload. */
export type OfflineR = z.infer<typeof offlineRSchema>;

/** `offline:A`: one page, oldest first (wire-v1 fields). */
export const offlineASchema = z.object({
  ok: z.literal(true),
  messages: z.array(msgNSchema),
  more: z.boolean(),
});
/** `offline:A` as this server sends it: every message with its log fields. */
export const offlineA2Schema = offlineASchema.extend({ messages: z.array(logMsgNSchema) });
/** `offline:A` payload (wire-v1 shape; protocol 2 gets every message with its log fields). */
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

/** One entry of a conversation's log as `history:R` returns it; no `body` once it has expired. */
export const historyEntrySchema = logMsgNSchema.extend({ body: bodySchema.optional() });
/** One entry of `history:R`. */
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** `history:R` (extension): the page of `conv` just before `before` (default: the newest). */
export const historyRSchema = z.object({
  conv: conversationIdSchema,
  before: seqSchema.optional(),
  limit: z.number().int().min(1).max(HISTORY_MAX_LIMIT).optional(),
});
/** `history:R` payload. */
export type HistoryR = z.infer<typeof historyRSchema>;

/** `history:A`: the page oldest first; `more` when older entries exist. */
export const historyASchema = z.object({
  ok: z.literal(true),
  messages: z.array(historyEntrySchema),
  more: z.boolean(),
});
/** `history:A` payload. */
export type HistoryA = z.infer<typeof historyASchema>;

/**
 * A person's read position in a conversation and what it leaves unread:
 * `unread` counts the other side's messages after `readSeq` up to `through`
 * (the conversation's last `seq` when this was computed).
 */
export const readStateSchema = z.object({
  conv: conversationIdSchema,
  readSeq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
  through: z.number().int().nonnegative(),
});
/** A read position snapshot. */
export type ReadState = z.infer<typeof readStateSchema>;

/** One conversation of `conv:list` (extension). */
export const conversationSummarySchema = readStateSchema.extend({
  kind: z.enum(['direct', 'group']),
  /** Direct: the other person. */
  peer: userIdSchema.optional(),
  /** Group: its name, and whether the person is still a member. */
  name: z.string().optional(),
  left: z.boolean().optional(),
  lastSeq: z.number().int().nonnegative(),
  lastTs: tsSchema,
});
/** One conversation of `conv:list`. */
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

/** `conv:list` request: no fields (the payload may be omitted). */
export const convListRSchema = z.strictObject({}).optional();

/** `conv:list` answer: every conversation of the person. */
export const convListASchema = z.object({
  ok: z.literal(true),
  conversations: z.array(conversationSummarySchema),
});
/** `conv:list` answer. */
export type ConvListA = z.infer<typeof convListASchema>;

/** `read:R` (extension): the person has read `conv` up to `seq`. */
export const readRSchema = z.object({ conv: conversationIdSchema, seq: z.number().int().min(0) });
/** `read:R` payload. */
export type ReadR = z.infer<typeof readRSchema>;
/** `read:A`: the read position now in force. */
export const readASchema = readStateSchema.extend({ ok: z.literal(true) });
/** `read:A` payload. */
export type ReadA = z.infer<typeof readASchema>;
/** `read:N`: pushed to the person's devices when their read position moves. */
export const readNSchema = readStateSchema;
/** `read:N` payload. */
export type ReadN = z.infer<typeof readNSchema>;

/** `status:R` (extension): where some of my own messages stand. */
export const statusRSchema = z.object({
  ids: z.array(messageIdSchema).min(1).max(STATUS_MAX_IDS),
});
/** `status:R` payload. */
export type StatusR = z.infer<typeof statusRSchema>;
/** `status:A`: one entry per id that names a message of mine. */
export const statusASchema = z.object({
  ok: z.literal(true),
  states: z.array(
    z.object({ id: messageIdSchema, state: outStateSchema, receipt: receiptCountsSchema }),
  ),
});
/** `status:A` payload. */
export type StatusA = z.infer<typeof statusASchema>;

/** `typing:R` (extension): the person is typing in `conv`; ephemeral, never stored. */
export const typingRSchema = z.object({ conv: conversationIdSchema });
/** `typing:R` payload. */
export type TypingR = z.infer<typeof typingRSchema>;
/** `typing:N`: `from` is typing in `conv` (pushed to the other members' devices). */
export const typingNSchema = z.object({ conv: conversationIdSchema, from: userIdSchema });
/** `typing:N` payload. */
export type TypingN = z.infer<typeof typingNSchema>;

/** `receipt:N` (protocol 2): where some of the person's messages in `conv` now stand. */
export const receiptNSchema = z.object({
  conv: conversationIdSchema,
  updates: z.array(
    z.object({
      id: messageIdSchema,
      seq: seqSchema,
      state: outStateSchema,
      receipt: receiptCountsSchema,
    }),
  ),
});
/** `receipt:N` payload. */
export type ReceiptN = z.infer<typeof receiptNSchema>;

/** `info:R`: who has one of my messages, and who read it. */
export const infoRSchema = z.object({ conv: conversationIdSchema, id: messageIdSchema });
/**
 * One recipient in `info:A`; times are absent until it happened. `receiptsOff`:
 * whether they read it is not shown (they read it with read receipts off, or
 * have them off now and have not read it).
 */
export const recipientInfoSchema = z.object({
  userId: userIdSchema,
  deliveredAt: tsSchema.optional(),
  readAt: tsSchema.optional(),
  receiptsOff: z.literal(true).optional(),
});
/** `info:A`; `readsHidden`: the asker's own read receipts are off, so no read is shown. */
export const infoASchema = z.object({
  ok: z.literal(true),
  recipients: z.array(recipientInfoSchema),
  readsHidden: z.literal(true).optional(),
});
/** `info:A` payload. */
export type InfoA = z.infer<typeof infoASchema>;

/** `GET /api/me` and `PATCH /api/me`: the person's preferences. */
export const prefsSchema = z.object({ readReceipts: z.boolean() });
/** The person's preferences. */
export type Prefs = z.infer<typeof prefsSchema>;

/** Usernames: 3–32 of `a-z 0-9 _ . -`, case-insensitive, stored lower-case. */
export const usernameSchema = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/)
  .transform((s) => s.toLowerCase());
/** Passwords: 8–256 characters. */
export const passwordSchema = z.string().min(8).max(256);
/**
 * Display names: NFC, 1–64 characters after trimming, no control, bidi or
 * zero-width characters (see `names.ts`).
 */
export const displayNameSchema = visibleNameSchema(1, 64);
/**
 * `PATCH /api/me` body: the read-receipts preference and/or a new display
 * name; at least one of them, nothing else.
 */
export const mePatchSchema = z
  .object({ readReceipts: z.boolean().optional(), displayName: displayNameSchema.optional() })
  .strict()
  .refine((b) => b.readReceipts !== undefined || b.displayName !== undefined, {
    message: 'nothing to change',
  });
/** `PATCH /api/me` body. */
export type MePatch = z.infer<typeof mePatchSchema>;
/** `PATCH /api/me` answer: the preferences, and the display name when it changed. */
export const mePatchAnswerSchema = z.object({
  readReceipts: z.boolean(),
  displayName: z.string().optional(),
});
/** Device names ("Firefox on Linux"): the same rules as display names, 1–64 characters. */
export const deviceNameSchema = visibleNameSchema(1, MAX_DEVICE_NAME);

/** An invite or password-reset code: 16–64 of `A-Z a-z 0-9 _ -`. */
export const codeSchema = z.string().trim().min(16).max(64).regex(ID_PATTERN, 'not a valid code');

/**
 * `POST /api/register` body; `invite` is needed in `invite` mode once the
 * first account exists, `setupCode` for the first account itself unless
 * registration is `open`.
 */
export const registerBodySchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  displayName: displayNameSchema.optional(),
  deviceName: deviceNameSchema.optional(),
  invite: codeSchema.optional(),
  setupCode: setupCodeSchema.optional(),
});
/** `POST /api/register` body. */
export type RegisterBody = z.infer<typeof registerBodySchema>;

/** `POST /api/login` body. */
export const loginBodySchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  deviceName: deviceNameSchema.optional(),
});
/** `POST /api/login` body. */
export type LoginBody = z.infer<typeof loginBodySchema>;

/** Answer of register and login. */
export const sessionSchema = z.object({
  userId: userIdSchema,
  username: z.string(),
  displayName: z.string(),
  token: z.string(),
  /** The device this sign-in created (absent in sessions saved by older clients). */
  deviceId: z.string().optional(),
  /** When the session ends unless used before (it slides with each use). */
  expiresAt: tsSchema.optional(),
  /** The person may use the admin endpoints. */
  isAdmin: z.boolean().optional(),
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

/** One device (sign-in) of the person, as `GET /api/devices` lists it. */
export const deviceSchema = z.object({
  deviceId: z.string(),
  name: z.string(),
  createdAt: tsSchema,
  lastSeenAt: tsSchema,
  /** The device making the request. */
  current: z.boolean(),
  /** Has a live connection now. */
  online: z.boolean(),
  /** When its session ends unless used before. */
  expiresAt: tsSchema.optional(),
});
/** One device of the person. */
export type Device = z.infer<typeof deviceSchema>;
/** `GET /api/devices` answer. */
export const devicesResponseSchema = z.object({ devices: z.array(deviceSchema) });
/** `PATCH /api/devices/:id` body. */
export const renameDeviceBodySchema = z.object({ name: deviceNameSchema });

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
