/**
 * `/healthz` from the main process: plain http, and over TLS against a real
 * im-server (`tls: 'auto'`): the fingerprint seen, the pinned certificate
 * accepted, any other refused before a single request byte is sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../../desktop/health';
import type { ImServer } from '../../../server/index';
import { TLS_FILES } from '../../../server/tls';
import { calibrate } from '../../support/calibrate';
import { startServer } from '../../support/servers';

/**
 * The TLS tests need a real im-server (a new certificate, a SQLite file, the
 * store's worker thread: 1–2.5 s on an idle 2-core machine, over 5 s at load
 * 12). One start and stop is timed here; the start before the tests gets
 * that timeout (vitest's default hook timeout of 10 s was passed at load 12).
 */
const starts = await calibrate('one in-process im-server start and stop over TLS', async () => {
  const server = await startServer({ tls: 'auto' });
  await server.close();
});

describe('checkHealth', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function serve(listener: RequestListener): Promise<string> {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('accepts a server answering /healthz with {ok:true}', async () => {
    const paths: string[] = [];
    const url = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
    expect(await checkHealth(url)).toEqual({ ok: true, value: { url } });
    expect(paths).toEqual(['/healthz']);
  });

  it('refuses a server that is not Tickline', async () => {
    const notFound = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });
    const wrongBody = await serve((_req, res) => res.end(JSON.stringify({ ok: 'yes' })));
    const html = await serve((_req, res) => res.end('<html></html>'));
    for (const url of [notFound, wrongBody, html]) {
      const result = await checkHealth(url);
      expect(result).toMatchObject({ ok: false, code: 'unreachable' });
    }
  });

  it('reports an unreachable server', async () => {
    const url = await serve((_req, res) => res.end());
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    expect(await checkHealth(url)).toMatchObject({ ok: false, code: 'unreachable' });
  });

  it('gives up after the timeout', async () => {
    const url = await serve(() => undefined); // never answers
    const started = Date.now();
    const result = await checkHealth(url, { timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, code: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('checkHealth over TLS (real im-server, tls auto)', () => {
  let server: ImServer & { dataDir: string };
  const OTHER = Array.from({ length: 32 }, () => 'AB').join(':');
  beforeAll(async () => {
    server = await startServer({ tls: 'auto' });
  }, starts.timeout(1));
  afterAll(() => server.close());

  it('reports the certificate fingerprint seen when nothing is pinned', async () => {
    expect(server.url).toMatch(/^https:/);
    expect(await checkHealth(server.url)).toEqual({
      ok: true,
      value: { url: server.url, fingerprint: server.fingerprint },
    });
  });

  it('accepts the pinned certificate and refuses any other', async () => {
    expect(await checkHealth(server.url, { pin: server.fingerprint! })).toMatchObject({
      ok: true,
    });
    const refused = await checkHealth(server.url, { pin: OTHER });
    expect(refused).toMatchObject({ ok: false, code: 'fingerprint_mismatch' });
    if (!refused.ok) expect(refused.error).toContain(server.fingerprint!);
  });

  it('sends nothing to a server whose certificate is not the pinned one', async () => {
    const pair = {
      cert: readFileSync(path.join(server.dataDir, TLS_FILES.cert), 'utf8'),
      key: readFileSync(path.join(server.dataDir, TLS_FILES.key), 'utf8'),
    };
    const received: Buffer[] = [];
    const impostor = createTlsServer(pair, (socket) => {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const closed = new Promise<void>((resolve) =>
      impostor.once('connection', (socket) => socket.once('close', () => resolve())),
    );
    const url = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    try {
      expect(await checkHealth(url, { pin: OTHER })).toMatchObject({
        ok: false,
        code: 'fingerprint_mismatch',
      });
      await closed;
      expect(Buffer.concat(received).length).toBe(0);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('tells a plain-http server on an https address apart from no server', async () => {
    const plain = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as AddressInfo).port;
    try {
      expect(await checkHealth(`https://127.0.0.1:${port}`)).toMatchObject({
        ok: false,
        code: 'unreachable',
        handshakeFailed: true,
      });
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
    const refused = await checkHealth(`https://127.0.0.1:${port}`);
    expect(refused).toMatchObject({ ok: false, code: 'unreachable' });
    expect(refused).not.toHaveProperty('handshakeFailed');
  });
});
