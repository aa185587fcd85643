/**
 * `GET /healthz` of a Tickline server from the main process, with a short
 * timeout. Over TLS the certificate is checked against a pin before a single
 * request byte is sent (self-signed certificates are the rule on a LAN, so
 * trust comes from the pin, not from a CA); without a pin the fingerprint
 * seen is reported, for the person to compare. No Electron here.
 */
import { request, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { BridgeResult } from '../protocol/desktop';

/** How long a health check may take before the server counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 4000;

/** Options of {@link checkHealth}. */
export interface HealthCheckOptions {
  timeoutMs?: number;
  /** Over https: the only certificate fingerprint accepted. */
  pin?: string;
}

/**
 * A healthy server, with the fingerprint of its certificate over https; or
 * why not, with `handshakeFailed` when something answered that does not speak TLS.
 */
export type Health =
  | { ok: true; value: { url: string; fingerprint?: string } }
  | (Extract<BridgeResult<never>, { ok: false }> & { handshakeFailed?: boolean });

/** Largest `/healthz` answer read. */
const MAX_BODY_BYTES = 64 * 1024;

/** The TLS handshake showed a certificate other than the pinned one. */
class PinMismatch extends Error {
  constructor(readonly fingerprint: string) {
    super('certificate does not match the pin');
  }
}

/** Checks that `url` (an http(s) origin) answers `/healthz` with `{ok:true}`. */
export function checkHealth(url: string, options: HealthCheckOptions = {}): Promise<Health> {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port) || (tls ? 443 : 80);
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  let seen: string | undefined;
  let handshakeFailed = false;

  const connection = (_: unknown, done: (error: Error | null, socket?: Socket) => void) => {
    if (!tls) return netConnect({ host, port });
    const socket = tlsConnect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      // Self-signed: the pin below is the check, not a CA.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => {
      seen = socket.getPeerCertificate().fingerprint256;
      if (options.pin !== undefined && seen !== options.pin) {
        socket.destroy();
        done(new PinMismatch(seen));
        return;
      }
      done(null, socket);
    });
    let connected = false;
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('error', (error) => {
      // Connected, but no TLS: something else (a plain-http server) answered.
      handshakeFailed = connected && seen === undefined;
      done(error);
    });
    return undefined;
  };

  return new Promise<Health>((resolve) => {
    let settled = false;
    const settle = (result: Health) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const unreachable = (error: string): Health => ({ ok: false, code: 'unreachable', error });
    const timer = setTimeout(
      () => settle(unreachable(`No answer from ${url} within ${Math.round(timeoutMs / 1000)} s.`)),
      timeoutMs,
    );
    const req = request({
      host,
      port,
      path: '/healthz',
      method: 'GET',
      headers: { host: target.host, accept: 'application/json' },
      createConnection: connection as never,
    });
    req.on('error', (error) => {
      if (error instanceof PinMismatch) {
        settle({
          ok: false,
          code: 'fingerprint_mismatch',
          error: `The certificate of ${url} is not the one you trusted (it is ${error.fingerprint}).`,
        });
        return;
      }
      settle({
        ...unreachable(`Cannot reach ${url}: is the server running and the address right?`),
        ...(handshakeFailed ? { handshakeFailed } : {}),
      });
    });
    req.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) settle(unreachable(`${url} is not a Tickline server.`));
        else chunks.push(chunk);
      });
      response.on('error', () => settle(unreachable(`Cannot reach ${url}.`)));
      response.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        const status = response.statusCode ?? 0;
        const healthy =
          status === 200 &&
          typeof body === 'object' &&
          body !== null &&
          (body as { ok?: unknown }).ok === true;
        settle(
          healthy
            ? { ok: true, value: { url, ...(seen ? { fingerprint: seen } : {}) } }
            : unreachable(`${url} answered, but it is not a Tickline server (HTTP ${status}).`),
        );
      });
    });
    req.end();
  });
}
