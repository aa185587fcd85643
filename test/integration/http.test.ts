import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

async function post(url: string, body: unknown, raw = false) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('HTTP API with the real password hashing cost', () => {
  let server: Started;

  beforeAll(async () => {
    // OWASP scrypt parameters, as in production.
    server = await startServer({
      scrypt: undefined,
      clientPolicy: { ackTimeoutMs: 1234, maxAttempts: 7 },
      // A backoff far longer than the real hashing of the attempts before it can
      // take on a busy machine (the test checks that the limit engages; its
      // timing is limits.test.ts's).
      loginLimits: { perUsername: 3, perAddress: 100, baseDelayMs: 600_000, maxDelayMs: 600_000 },
    });
  });
  afterAll(() => server.close());

  it('answers health and config', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${server.url}/api/config`)).json()).toEqual({
      ackTimeoutMs: 1234,
      maxAttempts: 7,
    });
  });

  it('registers, refuses duplicates case-insensitively, logs in', async () => {
    const reg = await post(`${server.url}/api/register`, {
      username: 'Carol.Smith',
      password: 'long enough pw',
      displayName: 'Carol',
    });
    expect(reg.status).toBe(201);
    expect(reg.json).toMatchObject({ username: 'carol.smith', displayName: 'Carol' });
    expect(typeof reg.json.token).toBe('string');
    expect((reg.json.token as string).length).toBeGreaterThanOrEqual(22);

    const again = await post(`${server.url}/api/register`, {
      username: 'CAROL.smith',
      password: 'another password',
    });
    expect(again).toEqual({
      status: 409,
      json: { ok: false, error: { code: 'username_taken', message: expect.any(String) } },
    });

    const login = await post(`${server.url}/api/login`, {
      username: 'carol.SMITH',
      password: 'long enough pw',
    });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ userId: reg.json.userId, username: 'carol.smith' });
    expect(login.json.token).not.toBe(reg.json.token);

    // Passwords are stored only as salted scrypt hashes; tokens only as hashes.
    const db = new Database(path.join(server.dataDir, 'tickline.sqlite3'), { readonly: true });
    const row = db
      .prepare('SELECT password_hash FROM users WHERE username = ?')
      .get('carol.smith') as {
      password_hash: string;
    };
    expect(row.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row.password_hash).not.toContain('long enough pw');
    const tokens = db.prepare('SELECT token_hash FROM devices').all() as { token_hash: Buffer }[];
    for (const t of tokens) expect(t.token_hash.toString('base64url')).not.toBe(login.json.token);
    db.close();
  });

  it('rejects bad input with invalid_input', async () => {
    const cases: unknown[] = [
      {},
      { username: 'ab', password: 'long enough pw' },
      { username: 'has space', password: 'long enough pw' },
      { username: 'x'.repeat(33), password: 'long enough pw' },
      { username: 'valid_name', password: 'short' },
      { username: 'valid_name', password: 'x'.repeat(257) },
      { username: 42, password: 'long enough pw' },
      [],
      'string',
    ];
    for (const body of cases) {
      const r = await post(`${server.url}/api/register`, body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: { code: 'invalid_input' } });
    }
    const malformed = await post(`${server.url}/api/login`, '{"username":', true);
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { code: 'invalid_input' } });
  });

  it('refuses wrong passwords, then rate-limits the username', async () => {
    await post(`${server.url}/api/register`, { username: 'dave', password: 'right password' });
    for (let i = 0; i < 3; i++) {
      const r = await post(`${server.url}/api/login`, {
        username: 'dave',
        password: 'wrong password',
      });
      expect(r).toEqual({
        status: 401,
        json: { ok: false, error: { code: 'bad_credentials', message: expect.any(String) } },
      });
    }
    const limited = await post(`${server.url}/api/login`, {
      username: 'dave',
      password: 'right password',
    });
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ error: { code: 'rate_limited' } });
    const unknown = await post(`${server.url}/api/login`, {
      username: 'nobody',
      password: 'whatever pw',
    });
    expect(unknown.status).toBe(401);
  });

  it('answers unknown routes with a JSON error', async () => {
    const r = await fetch(`${server.url}/api/nothing`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('closed registration', () => {
  it('answers 403 registration_closed', async () => {
    const server = await startServer({ registration: 'closed' });
    const r = await post(`${server.url}/api/register`, {
      username: 'erin',
      password: 'long enough pw',
    });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: 'registration_closed' } });
    await server.close();
  });
});
