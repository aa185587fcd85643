import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { login, register } from '../../client/api';
import { ask, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

describe('logs', () => {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterAll(() => server?.close());

  it('never contain passwords, tokens or message bodies, even at trace level', async () => {
    server = await startServer({ logger });
    const password = 'Sup3r-secret-passphrase';
    const body = 'confidential payroll numbers 4242';
    const alice = await register(server.url, { username: 'log_alice', password });
    const bob = await register(server.url, { username: 'log_bob', password });
    const again = await login(server.url, { username: 'log_alice', password });
    await login(server.url, { username: 'log_alice', password: password + 'x' }).catch(
      () => undefined,
    );
    const a = await rawConnect(server.url, alice.token);
    await ask(a, 'msg:R', { id: 'secret-1', to: bob.userId, body });
    await ask(a, 'msg:R', { id: 'secret-2', to: 'nobody', body });
    await ask(a, 'msg:R', { id: 'bad id', to: bob.userId, body });
    await rawConnect(server.url, 'forged-token-value').catch(() => undefined);
    a.close();
    await server.close();
    server = undefined;

    expect(text).toContain('registered'); // the log is not empty
    for (const secret of [
      password,
      body,
      alice.token,
      bob.token,
      again.token,
      'forged-token-value',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
