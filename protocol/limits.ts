/** Largest message body, in UTF-8 bytes (wire contract). */
export const MAX_BODY_BYTES = 16_384;
/** Default number of messages one `offline:R` returns. */
export const OFFLINE_DEFAULT_LIMIT = 100;
/** Largest `limit` an `offline:R` may ask for. */
export const OFFLINE_MAX_LIMIT = 500;
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
