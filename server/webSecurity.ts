/**
 * The web surface: security headers on every HTTP answer (a Content Security
 * Policy that keeps the web client to its own origin and out of frames,
 * nosniff, no referrer), a Host allow-list against DNS rebinding (421 for
 * other names, on HTTP and on the Socket.IO handshake), and the Origin of
 * browser WebSocket handshakes checked against the server's own origin and the
 * configured ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { EMOJI_PICKER_STYLE_HASH, fail, type ErrorCode, type HttpErrorBody } from '../protocol';

/** `allowedHosts` entry that turns the Host check off (behind a reverse proxy that checks it). */
export const ANY_HOST = '*';

/** A refusal: HTTP status and the usual JSON error body. */
export interface Refusal {
  status: number;
  body: HttpErrorBody;
}

function refusal(status: number, code: ErrorCode, message: string): Refusal {
  return { status, body: fail(code, message) };
}

/**
 * The host name of a Host header or an allow-list entry, lowercased and in
 * WHATWG URL canonical form (IPv4 dotted, IPv6 bracketed and compressed, the
 * port and a trailing dot dropped), or undefined when it is not a host.
 */
export function canonicalHost(value: string | undefined): string | undefined {
  if (!value || !/^[^\s/\\@?#%]+$/.test(value)) return undefined;
  // A bare IPv6 address (an allow-list entry, an interface address).
  const text = value.includes(':') && !value.startsWith('[') && value.split(':').length > 2;
  try {
    const host = new URL(`http://${text ? `[${value}]` : value}`).hostname;
    return host.replace(/\.$/, '') || undefined;
  } catch {
    return undefined;
  }
}

/** The names this machine answers to: its addresses, `localhost`, its host name and `HOST.local`. */
export function machineHosts(): string[] {
  const names = ['localhost'];
  const host = hostname().toLowerCase();
  if (host) names.push(host, `${host.split('.')[0]}.local`);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) names.push(info.address.split('%')[0]!);
  }
  return names;
}

/**
 * Decides whether a Host header names this server: one of this machine's
 * names (refreshed when an unknown name arrives, so a new DHCP address
 * works), the bound address, or an extra name (a DNS name people use).
 */
export class HostAllowList {
  private readonly fixed: Set<string>;
  private machine = new Set<string>();
  private machineAt = -Infinity;
  /** True when `extraHosts` held `*`: every Host is accepted. */
  readonly any: boolean;

  /** `extraHosts`: names accepted besides this machine's own (`*`: any). */
  constructor(
    extraHosts: string[] | undefined,
    boundHost: string,
    private readonly now: () => number = Date.now,
  ) {
    this.any = extraHosts?.includes(ANY_HOST) ?? false;
    this.fixed = new Set(
      [boundHost, ...(extraHosts ?? [])].map(canonicalHost).filter((h): h is string => !!h),
    );
    this.refresh();
  }

  private refresh(): void {
    this.machine = new Set(
      machineHosts()
        .map(canonicalHost)
        .filter((h): h is string => !!h),
    );
    this.machineAt = this.now();
  }

  /** True when `hostHeader` (with or without port) is allowed. */
  allows(hostHeader: string | undefined): boolean {
    if (this.any) return true;
    const host = canonicalHost(hostHeader);
    if (!host) return false;
    if (this.fixed.has(host) || this.machine.has(host)) return true;
    // A new address (DHCP, another network): look again, at most every 5 s.
    if (this.now() - this.machineAt < 5_000) return false;
    this.refresh();
    return this.machine.has(host);
  }
}

/** What {@link checkHost} and {@link checkOrigin} need. */
export interface WebSecurityOptions {
  hosts: HostAllowList;
  /** Origins other than the server's own that browsers may connect from (the desktop app's). */
  corsOrigins: string[];
  /** True when this server speaks TLS itself. */
  tls: boolean;
}

/** A 421 refusal when the request's Host is not this server's. */
export function checkHost(req: IncomingMessage, options: WebSecurityOptions): Refusal | undefined {
  const host = req.headers.host;
  if (options.hosts.allows(host)) return undefined;
  return refusal(
    421,
    'invalid_input',
    host
      ? `this server does not answer to the host name "${host.slice(0, 100)}" (see --allowed-hosts)`
      : 'the request has no Host header',
  );
}

/**
 * A 403 refusal when a browser (a request with an `Origin` header) connects
 * from a page that is neither this server's own origin nor one of
 * `corsOrigins`. Node clients send no Origin and pass. Behind a reverse proxy
 * that terminates TLS (`tls` off) an `https:` origin for the same host is the
 * server's own too.
 */
export function checkOrigin(
  req: IncomingMessage,
  options: WebSecurityOptions,
): Refusal | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (options.corsOrigins.includes(origin)) return undefined;
  const refused = refusal(
    403,
    'forbidden',
    `connections from the origin "${origin.slice(0, 100)}" are not allowed`,
  );
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return refused;
  }
  const schemes = options.tls ? ['https:'] : ['http:', 'https:'];
  if (!schemes.includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) return refused;
  try {
    // The Host the request came in on, with the origin's scheme (so default ports compare equal).
    const own = new URL(`${url.protocol}//${req.headers.host ?? ''}`);
    if (own.host === url.host) return undefined;
  } catch {
    // No usable Host: not the server's own origin.
  }
  return refused;
}

/** Sends a refusal on a plain HTTP response, or on the raw socket of a WebSocket upgrade. */
function sendRefusal(req: IncomingMessage, res: ServerResponse, refused: Refusal): void {
  const body = JSON.stringify(refused.body);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  if (typeof res.writeHead === 'function' && 'statusCode' in res) {
    res.writeHead(refused.status, headers).end(body);
    return;
  }
  // engine.io hands upgrades a stand-in response without a status line: write it ourselves.
  const reason = refused.status === 421 ? 'Misdirected Request' : 'Forbidden';
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  req.socket.end(`HTTP/1.1 ${refused.status} ${reason}\r\n${head}\r\n${body}`);
}

/**
 * An engine.io middleware (`io.engine.use`) refusing Socket.IO requests and
 * WebSocket upgrades with a foreign Host (421) or a foreign browser Origin (403).
 */
export function socketGuard(options: WebSecurityOptions) {
  return (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const refused = checkHost(req, options) ?? checkOrigin(req, options);
    if (refused) sendRefusal(req, res, refused);
    else next();
  };
}

/** The Content Security Policy of the web client (connect-src adds ws/wss of the Host it was loaded from). */
function cspDirectives() {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    // <style> elements: only the emoji picker's shadow-root one, by hash (protocol/csp.ts).
    styleSrcElem: ["'self'", EMOJI_PICKER_STYLE_HASH],
    // style="" attributes, which the emoji picker's templates write: an attribute
    // styles its own element only (no selectors, no @import; url() stays under
    // img-src), docs/SECURITY.md ("Content-Security-Policy").
    styleSrcAttr: ["'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: [
      "'self'",
      // 'self' covers ws/wss of the same host in CSP 3; older browsers need them named.
      (req: IncomingMessage) => {
        const host = req.headers.host ?? '';
        return /^[a-z0-9.\-[\]:]+$/i.test(host) ? `ws://${host} wss://${host}` : "'self'";
      },
    ],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  };
}

/**
 * Registers the headers and the Host check on every HTTP answer of `app` (API,
 * web client, errors and 404s alike). Call before the routes.
 */
export async function registerWebSecurity(
  app: FastifyInstance,
  options: WebSecurityOptions,
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives() },
    // No HSTS: see docs/SECURITY.md ("Strict-Transport-Security").
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // After helmet's hook, so that a refusal carries the headers too.
  app.addHook('onRequest', (request, reply, done) => {
    const refused = checkHost(request.raw, options);
    if (refused) {
      void reply.code(refused.status).send(refused.body);
      return;
    }
    done();
  });
}
