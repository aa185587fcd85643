import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth } from '../../../electron/main/health';

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
