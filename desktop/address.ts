/**
 * Server addresses typed by people ("192.168.1.20", "chat.lan:8000",
 * "http://10.0.0.5:7420/") turned into one canonical origin. No Electron here.
 */
import { MAX_ADDRESS_LENGTH } from '../protocol/desktop';
import { DEFAULT_PORT } from '../protocol/limits';

/** A canonical origin, or why the input is not an address. */
export type NormalizedAddress = { ok: true; url: string } | { ok: false; error: string };

export { MAX_ADDRESS_LENGTH };

/**
 * Adds `http://` when no scheme is given and `:7420` when no port is given,
 * and returns the origin (`http://host:port`, no path). Only http and https
 * are allowed; credentials, paths other than `/`, queries and fragments are refused.
 */
export function normalizeServerAddress(input: string): NormalizedAddress {
  const raw = input.trim();
  if (raw.length === 0) return { ok: false, error: 'Enter a server address.' };
  if (raw.length > MAX_ADDRESS_LENGTH) return { ok: false, error: 'The address is too long.' };
  if (/\s/.test(raw)) return { ok: false, error: 'The address must not contain spaces.' };

  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  const withScheme = hasScheme ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: 'This is not a valid server address.' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: 'Only http:// and https:// addresses are supported.' };
  }
  if (!url.hostname) return { ok: false, error: 'The address has no host name.' };
  if (url.username || url.password) {
    return { ok: false, error: 'The address must not contain a user name or password.' };
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return { ok: false, error: 'Enter only the server address, without a path.' };
  }

  // `URL` drops a port equal to the scheme's default (http://h:80 → port ""),
  // so look at what was typed to tell "no port" from "the default port".
  const authority = withScheme.slice(withScheme.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  const explicitPort = /:(\d+)$/.test(authority) && !authority.endsWith(']');
  let port: number;
  if (url.port) port = Number(url.port);
  else if (explicitPort) port = url.protocol === 'https:' ? 443 : 80;
  else port = DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, error: 'The port must be a number from 1 to 65535.' };
  }
  return { ok: true, url: `${url.protocol}//${url.hostname}:${port}` };
}

/**
 * The origins to try for what a person typed: the typed scheme only, or,
 * without one, `https://` first (servers speak TLS by default) and then `http://`.
 */
export function addressCandidates(
  input: string,
): { ok: true; urls: string[] } | { ok: false; error: string } {
  const normalized = normalizeServerAddress(input);
  if (!normalized.ok) return normalized;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim())) return { ok: true, urls: [normalized.url] };
  return { ok: true, urls: [normalized.url.replace(/^http:/, 'https:'), normalized.url] };
}
