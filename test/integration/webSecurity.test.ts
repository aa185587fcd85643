import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_APP_ORIGIN, EMOJI_PICKER_STYLE_HASH } from '../../protocol';
import type { ImServer } from '../../server';
import { TLS_FILES } from '../../server/tls';
import { canonicalHost } from '../../server/webSecurity';
import { newUser } from '../support/clients';
import { startServer } from '../support/servers';

type Answer = { status: number; headers: IncomingHttpHeaders; body: string };

/** A GET with a chosen Host header (fetch may not set one). */
function getWithHost(url: string, pathname: string, host: string, ca?: string): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(new URL(pathname, url), {
      headers: { host }, // Pinned to `ca`; the name check would look at the made-up Host.
      ...(ca ? { ca, checkServerIdentity: () => undefined } : {}),
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** A WebSocket upgrade of the Socket.IO endpoint with a chosen Host: `upgraded` or the refusal. */
function upgradeWithHost(url: string, host: string): Promise<'upgraded' | Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL('/socket.io/?EIO=4&transport=websocket', url), {
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      resolve('upgraded');
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Connects like a browser page of `origin` would (websocket, Origin header): 'connected' or the error. */
function connectFrom(url: string, token: string, origin?: string, ca?: string): Promise<string> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(origin ? { extraHeaders: { origin } } : {}),
    ...(ca ? { ca } : {}),
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(`refused: ${error.message}`);
    });
  });
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function expectHeaders(answer: Answer) {
  expect(answer.headers).toMatchObject(SECURITY_HEADERS);
  const csp = String(answer.headers['content-security-policy'] ?? '');
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
  ]) {
    expect(csp).toContain(directive);
  }
  expect(csp).toMatch(/connect-src 'self'/);
  expect(csp).not.toContain('unsafe-eval');
  // Style sheets: our own files, and one inline <style> by its hash; only
  // style="" attributes may be inline (docs/SECURITY.md).
  const directives = new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values.join(' ')];
    }),
  );
  expect(directives.get('style-src')).toBe("'self'");
  expect(directives.get('style-src-elem')).toBe(`'self' ${EMOJI_PICKER_STYLE_HASH}`);
  expect(directives.get('style-src-attr')).toBe("'unsafe-inline'");
  expect(directives.get('script-src')).toBe("'self'");
  expect(answer.headers['strict-transport-security']).toBeUndefined();
}

describe('the web surface over http', () => {
  let server: ImServer;
  let host: string;
  beforeAll(async () => {
    server = await startServer();
    host = new URL(server.url).host;
  });
  afterAll(() => server.close());

  it('sends the security headers on the web client, the API, 404s and refusals', async () => {
    for (const pathname of ['/', '/api/config', '/no/such/route', '/healthz']) {
      expectHeaders(await getWithHost(server.url, pathname, host));
    }
    expectHeaders(await getWithHost(server.url, '/api/config', 'evil.example'));
  });

  it('answers 421 to a Host that is not this machine, on HTTP and on the Socket.IO handshake', async () => {
    for (const evil of [
      'evil.example',
      `evil.example:${server.port}`,
      'EVIL.example.',
      '10.9.8.7',
    ]) {
      const answer = await getWithHost(server.url, '/api/config', evil);
      expect(answer.status).toBe(421);
      expect(JSON.parse(answer.body)).toEqual({
        ok: false,
        error: { code: 'invalid_input', message: expect.stringContaining('--allowed-hosts') },
      });
    }
    const polling = await getWithHost(
      server.url,
      '/socket.io/?EIO=4&transport=polling',
      'evil.example',
    );
    expect(polling.status).toBe(421);
    expect(JSON.parse(polling.body)).toMatchObject({ error: { code: 'invalid_input' } });
    const upgrade = await upgradeWithHost(server.url, 'evil.example');
    expect(upgrade).toMatchObject({ status: 421 });
    expect(JSON.parse((upgrade as Answer).body)).toMatchObject({
      error: { code: 'invalid_input' },
    });
  });

  it("accepts this machine's names: the bound address, localhost, ::1, the host name", async () => {
    const { hostname } = await import('node:os');
    for (const name of [
      host,
      `localhost:${server.port}`,
      'localhost',
      `[::1]:${server.port}`,
      hostname(),
    ]) {
      expect((await getWithHost(server.url, '/api/config', name)).status, name).toBe(200);
    }
    expect(await upgradeWithHost(server.url, `localhost:${server.port}`)).toBe('upgraded');
    const polling = await getWithHost(server.url, '/socket.io/?EIO=4&transport=polling', host);
    expect(polling.status).toBe(200);
  });

  it('refuses a browser handshake from a foreign Origin; its own origin, the app and Node clients connect', async () => {
    const alice = await newUser(server.url, 'alice');
    expect(await connectFrom(server.url, alice.token, 'http://evil.example')).toMatch(/^refused/);
    expect(
      await connectFrom(server.url, alice.token, `http://evil.example:${server.port}`),
    ).toMatch(/^refused/);
    expect(await connectFrom(server.url, alice.token, 'null')).toMatch(/^refused/);
    expect(await connectFrom(server.url, alice.token, server.url)).toBe('connected');
    expect(await connectFrom(server.url, alice.token, `http://localhost:${server.port}`)).toMatch(
      /^refused/,
    );
    expect(await connectFrom(server.url, alice.token, DESKTOP_APP_ORIGIN)).toBe('connected');
    expect(await connectFrom(server.url, alice.token)).toBe('connected');
  });
});

describe('the web surface with TLS and options', () => {
  it('with TLS: only the https origin is its own', async () => {
    const server = await startServer({ tls: 'auto' });
    try {
      expect(server.url).toMatch(/^https:/);
      const ca = readFileSync(path.join(server.dataDir, TLS_FILES.cert), 'utf8');
      const answer = await getWithHost(server.url, '/api/config', new URL(server.url).host, ca);
      expectHeaders(answer);
      expect((await getWithHost(server.url, '/api/config', 'evil.example', ca)).status).toBe(421);
      const token = 'not-needed-for-the-origin-check';
      const https = await connectFrom(server.url, token, server.url, ca);
      // The origin is accepted; the made-up token is what is refused then.
      expect(https).toBe('refused: unauthorized');
      expect(await connectFrom(server.url, token, server.url.replace('https:', 'http:'), ca)).toBe(
        'refused: websocket error',
      );
    } finally {
      await server.close();
    }
  });

  it("allowedHosts (--allowed-hosts) adds names, the machine's own stay; '*' turns the check off", async () => {
    const listed = await startServer({ allowedHosts: ['chat.example.com'] });
    try {
      for (const name of ['chat.example.com', 'CHAT.example.com:443', new URL(listed.url).host]) {
        expect((await getWithHost(listed.url, '/api/config', name)).status, name).toBe(200);
      }
      expect((await getWithHost(listed.url, '/api/config', 'evil.example')).status).toBe(421);
    } finally {
      await listed.close();
    }
    const any = await startServer({ allowedHosts: ['*'] });
    try {
      expect((await getWithHost(any.url, '/api/config', 'evil.example')).status).toBe(200);
    } finally {
      await any.close();
    }
  });

  it('canonicalHost: ports, case, trailing dots and IPv6 brackets; junk is no host', () => {
    expect(canonicalHost('Example.COM:8080')).toBe('example.com');
    expect(canonicalHost('example.com.')).toBe('example.com');
    expect(canonicalHost('[::1]:7420')).toBe('[::1]');
    expect(canonicalHost('::1')).toBe('[::1]');
    expect(canonicalHost('[0:0:0:0:0:0:0:1]')).toBe('[::1]');
    expect(canonicalHost('fe80::1%eth0')).toBeUndefined();
    for (const junk of [undefined, '', 'a b', 'evil.example@127.0.0.1', 'x/y', '[::1']) {
      expect(canonicalHost(junk)).toBeUndefined();
    }
  });
});
