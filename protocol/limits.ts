/** Largest message body, in UTF-8 bytes (wire contract). */
export const MAX_BODY_BYTES = 16_384;
/** Default number of messages one `offline:R` returns. */
export const OFFLINE_DEFAULT_LIMIT = 100;
/** Largest `limit` an `offline:R` may ask for. */
export const OFFLINE_MAX_LIMIT = 500;
/**
 * Most bytes of messages (as JSON) one catch-up or history page carries; a
 * page stops before the message that would cross it (but always holds one).
 */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** Most `{from, id}` pairs one `offlineack:R` may carry. */
export const OFFLINEACK_MAX_IDS = 500;
/** Longest message id a sender may choose. */
export const MAX_ID_LENGTH = 64;
/**
 * Largest Socket.IO frame the server accepts. A 16 KiB body can grow up to
 * six-fold when JSON escapes control characters, so 128 KiB leaves room for
 * the worst case while staying far below Socket.IO's 1 MB default.
 */
export const MAX_FRAME_BYTES = 128 * 1024;
/** Largest JSON body the HTTP API accepts. */
export const MAX_HTTP_BODY_BYTES = 16 * 1024;
/** Default port of the im-server. */
export const DEFAULT_PORT = 7420;
/** Default retry policy handed to clients by `/api/config`. */
export const DEFAULT_CLIENT_POLICY = { ackTimeoutMs: 5_000, maxAttempts: 5 } as const;
/** Origin of the desktop app's renderer (its custom protocol); allowed by CORS. */
export const DESKTOP_APP_ORIGIN = 'app://tickline';
/** The protocol version this code speaks (socket auth `protocol`; absent means 1). */
export const PROTOCOL_VERSION = 2;
/** The oldest protocol version a server accepts by default (wire-v1 clients). */
export const MIN_PROTOCOL_VERSION = 1;
/** Default size of one `history:R` page. */
export const HISTORY_DEFAULT_LIMIT = 50;
/** Largest `limit` a `history:R` may ask for. */
export const HISTORY_MAX_LIMIT = 200;
/** Messages of each conversation a new device loads before the person scrolls. */
export const BACKFILL_PER_CONVERSATION = 50;
/** Most ids one `status:R` may ask about. */
export const STATUS_MAX_IDS = 500;
/** Longest device name. */
export const MAX_DEVICE_NAME = 64;
/** A typing client sends `typing:R` at most this often per conversation. */
export const TYPING_SEND_INTERVAL_MS = 3_000;
/** The server forwards at most one `typing:R` per device and conversation this often. */
export const TYPING_SERVER_MIN_INTERVAL_MS = 1_000;
/** A typing indicator disappears after this much silence. */
export const TYPING_SHOW_MS = 6_000;
/** Most members a group may have (its creator included). */
export const MAX_GROUP_MEMBERS = 256;
/** Longest group name. */
export const MAX_GROUP_NAME = 64;
/** How long receipt changes for one sender are gathered before one `receipt:N`. */
export const RECEIPT_WINDOW_MS = 100;
/** Most characters (UTF-16 code units) of the quoted message a reply carries. */
export const REPLY_EXCERPT_MAX = 200;
