/**
 * The `app://tickline/` protocol that serves the renderer bundle: URL → file
 * mapping with path traversal refused, content types and response headers.
 * No Electron here (the handler in `electron/main/index.ts` only wires these to `protocol.handle`).
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DESKTOP_APP_ORIGIN } from '../protocol/limits';

export const APP_SCHEME = 'app';
export const APP_HOST = 'tickline';
/** `app://tickline` (the origin the server allows by CORS). */
export const APP_ORIGIN: string = DESKTOP_APP_ORIGIN;
/** The page every window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * The renderer's Content-Security-Policy, sent with every response of the
 * protocol. `connect-src` allows any http/ws host because a LAN chat connects
 * to servers whose addresses are only known at run time; everything that can
 * execute comes from the app bundle only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "media-src 'self'",
  "object-src 'none'",
  "worker-src 'self'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers of every successful response of the protocol. */
export function responseHeaders(filePath: string): Record<string, string> {
  return {
    'content-type': contentTypeFor(filePath),
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

export type ResolvedAppPath =
  { ok: true; filePath: string } | { ok: false; status: 400 | 403 | 404 | 405 };

/**
 * Maps a request of the app protocol to a file under `rootDir`: only GET/HEAD
 * of `app://tickline/...`; `/` is `index.html`; encoded separators, NUL bytes,
 * backslashes and anything that would leave `rootDir` are refused.
 */
export function resolveAppPath(
  rootDir: string,
  requestUrl: string,
  method = 'GET',
): ResolvedAppPath {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405 };
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 404 };
  // Look at the raw path: `URL` has already resolved plain `..` segments, but
  // encoded ones (%2e%2e, %2f, %5c) survive until decoding.
  if (/%2f|%5c|%00/i.test(url.pathname)) return { ok: false, status: 400 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { ok: false, status: 400 };
  const segments = pathname.split('/').filter((segment) => segment.length > 0);
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return { ok: false, status: 403 };
  }
  const relativePath = segments.length === 0 ? 'index.html' : segments.join('/');
  const root = resolve(rootDir);
  const filePath = resolve(root, relativePath);
  const rel = relative(root, filePath);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    return { ok: false, status: 403 };
  }
  return { ok: true, filePath };
}

/** Whether `url` is a page of the app (IPC sender and navigation checks). */
export function isAppUrl(url: string | undefined | null, devOrigin?: string): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
  // `electron-vite dev` serves the renderer from Vite's dev server (unpackaged only).
  return devOrigin !== undefined && parsed.origin === devOrigin;
}

/** Whether `url` may be handed to the system: http(s) with a host and no credentials, or one plain mailto: address. */
export function isSafeExternalUrl(url: string): boolean {
  if (url.length > 8192) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // An e-mail address the message linked (one plain address, no headers
  // such as ?body= or ?attach= that a mail client would act on).
  if (parsed.protocol === 'mailto:') {
    return (
      parsed.search === '' && /^[^@\s/?#,;]+@[^@\s/?#,;]+\.[^@\s/?#,;]+$/.test(parsed.pathname)
    );
  }
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
    parsed.hostname.length > 0 &&
    parsed.username === '' &&
    parsed.password === ''
  );
}
