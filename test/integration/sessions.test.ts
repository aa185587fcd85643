/**
 * Sessions that end (issue 10 §3): tokens expire 30 days after their last use
 * (sliding, written at most once a minute), on HTTP and on the socket
 * handshake; a person lists their sessions, ends one (its socket closes at
 * once) or all others, and changes their password (the others end). Hashes
 * made with older scrypt parameters are replaced at the next sign-in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { snapshotDatabase } from '../support/dbSnapshot';
import { ask, rawConnect } from '../support/raw';
import { startServer, tempDir } from '../support/servers';
import {
  call,
  closedByServer,
  codeOf,
  inDatabase,
  loginAs,
  PASSWORD,
  registerAs,
} from './accountsHttp';

type Started = Awaited<ReturnType<typeof startServer>>;

const DAY = 86_400_000;

describe('sessions', () => {
  let server: Started;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const expiryOf = (deviceId: string) =>
    inDatabase(server.dataDir, (db) =>
      db.prepare('SELECT expires_at FROM devices WHERE id = ?').pluck().get(deviceId),
    ) as number | undefined;

  it('answers register and login with expiresAt, 30 days ahead', async () => {
    const t0 = Date.now();
    const reg = await registerAs(server.url, 'ann');
    const login = await loginAs(server.url, 'ann');
    for (const answer of [reg, login]) {
      const expiresAt = answer.json.expiresAt as number;
      expect(expiresAt).toBeGreaterThanOrEqual(t0 + 30 * DAY);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY);
      expect(expiryOf(answer.json.deviceId as string)).toBe(expiresAt);
    }
  });

  it('slides on use, at most one write a minute, and ends 30 days after the last use', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const reg = await registerAs(server.url, 'sid');
    const token = reg.json.token as string;
    const device = reg.json.deviceId as string;
    const me = () => call('GET', `${server.url}/api/me`, { token });

    // Used 30 s later: not worth a write.
    vi.setSystemTime(start + 30_000);
    expect((await me()).status).toBe(200);
    await server.flushWrites();
    expect(expiryOf(device)).toBe(start + 30 * DAY);

    // Used 20 days later (over HTTP): 30 days from then.
    vi.setSystemTime(start + 20 * DAY);
    expect((await me()).status).toBe(200);
    // The slide is written without holding the request up.
    await server.flushWrites();
    expect(expiryOf(device)).toBe(start + 50 * DAY);

    // Used 49 days after the start, over the socket handshake: moved again.
    vi.setSystemTime(start + 49 * DAY);
    const socket = await rawConnect(server.url, token, 2);
    socket.close();
    await server.flushWrites();
    expect(expiryOf(device)).toBe(start + 79 * DAY);

    // Not used for 30 days: over, on HTTP and on the socket.
    vi.setSystemTime(start + 79 * DAY);
    const expired = await me();
    expect([expired.status, codeOf(expired)]).toEqual([401, 'unauthorized']);
    await expect(rawConnect(server.url, token, 2)).rejects.toThrow('unauthorized');
    await server.flushWrites();
    expect(expiryOf(device)).toBeUndefined();
  });

  it('lists the person’s sessions, this one marked; another person’s are out of reach', async () => {
    const a1 = await registerAs(server.url, 'lia', { deviceName: 'Laptop' });
    const a2 = await call('POST', `${server.url}/api/login`, {
      body: { username: 'lia', password: PASSWORD, deviceName: 'Phone' },
    });
    const other = await registerAs(server.url, 'max');
    const listed = await call('GET', `${server.url}/api/sessions`, {
      token: a1.json.token as string,
    });
    expect(listed.status).toBe(200);
    expect(listed.json.sessions).toEqual([
      {
        id: a1.json.deviceId,
        name: 'Laptop',
        current: true,
        createdAt: expect.any(Number),
        lastSeenAt: expect.any(Number),
        expiresAt: a1.json.expiresAt,
        online: false,
      },
      expect.objectContaining({ id: a2.json.deviceId, name: 'Phone', current: false }),
    ]);
    // Max cannot end Lia's session.
    const before = snapshotDatabase(server.dataDir);
    const denied = await call('DELETE', `${server.url}/api/sessions/${String(a2.json.deviceId)}`, {
      token: other.json.token as string,
    });
    expect([denied.status, codeOf(denied)]).toEqual([404, 'not_found']);
    expect(snapshotDatabase(server.dataDir)).toBe(before);
  });

  it('ends one session: its socket closes at once and its token stops working', async () => {
    const a = await registerAs(server.url, 'nia');
    const b = await loginAs(server.url, 'nia');
    const socket = await rawConnect(server.url, b.json.token, 2);
    const closed = closedByServer(socket);
    const ended = await call('DELETE', `${server.url}/api/sessions/${String(b.json.deviceId)}`, {
      token: a.json.token as string,
    });
    expect(ended.status).toBe(200);
    expect(await closed).toBe('io server disconnect');
    const refused = await call('GET', `${server.url}/api/me`, { token: b.json.token as string });
    expect(refused.status).toBe(401);
    expect(
      (await call('GET', `${server.url}/api/me`, { token: a.json.token as string })).status,
    ).toBe(200);
  });

  it('signs out everywhere else, keeping this session', async () => {
    const here = await registerAs(server.url, 'ola');
    const others = await Promise.all([loginAs(server.url, 'ola'), loginAs(server.url, 'ola')]);
    const sockets = await Promise.all(others.map((o) => rawConnect(server.url, o.json.token, 2)));
    const closed = sockets.map(closedByServer);
    const answer = await call('POST', `${server.url}/api/sessions/revoke-others`, {
      token: here.json.token as string,
    });
    expect(answer.json).toEqual({ ok: true, revoked: 2 });
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const o of others) {
      expect(
        (await call('GET', `${server.url}/api/me`, { token: o.json.token as string })).status,
      ).toBe(401);
    }
    const listed = await call('GET', `${server.url}/api/sessions`, {
      token: here.json.token as string,
    });
    expect(listed.json.sessions).toEqual([expect.objectContaining({ current: true })]);
  });

  it('changes the password: checks the current one, ends the other sessions, keeps this one', async () => {
    const here = await registerAs(server.url, 'pia');
    const there = await loginAs(server.url, 'pia');
    const socket = await rawConnect(server.url, there.json.token, 2);
    const closed = closedByServer(socket);
    const change = (currentPassword: string) =>
      call('POST', `${server.url}/api/password`, {
        token: here.json.token as string,
        body: { currentPassword, newPassword: 'a better passphrase' },
      });

    // The connection's last-seen write lands first: nothing else may change below.
    await server.flushWrites();
    const before = snapshotDatabase(server.dataDir);
    const wrong = await change('not my password');
    expect([wrong.status, codeOf(wrong)]).toEqual([403, 'bad_credentials']);
    const short = await call('POST', `${server.url}/api/password`, {
      token: here.json.token as string,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect([short.status, codeOf(short)]).toEqual([400, 'invalid_input']);
    expect(snapshotDatabase(server.dataDir)).toBe(before);

    expect((await change(PASSWORD)).json).toEqual({ ok: true, revoked: 1 });
    expect(await closed).toBe('io server disconnect');
    expect(
      (await call('GET', `${server.url}/api/me`, { token: there.json.token as string })).status,
    ).toBe(401);
    expect(
      (await call('GET', `${server.url}/api/me`, { token: here.json.token as string })).status,
    ).toBe(200);
    expect((await loginAs(server.url, 'pia')).status).toBe(401);
    expect((await loginAs(server.url, 'pia', 'a better passphrase')).status).toBe(200);
  });
});

/**
 * A live connection ends with its session (issue 21): at its expiry, also
 * when nothing is sent, and on the first request after it. The server's
 * clock is the test's (a socket's own heartbeat runs on the real one).
 */
describe('sessions on live connections', () => {
  let now = Date.now();
  const clock = { now: () => now, set: (t: number) => void (now = t) };
  let server: Started;

  beforeAll(async () => {
    // Live connections re-check their session at least every 200 ms (default:
    // hourly), so a test that moves the clock sees them end without waiting.
    server = await startServer({ clock: clock.now, sessionCheckMs: 200 });
  });
  afterAll(() => server.close());

  const expiryOf = (deviceId: string) =>
    inDatabase(server.dataDir, (db) =>
      db.prepare('SELECT expires_at FROM devices WHERE id = ?').pluck().get(deviceId),
    ) as number | undefined;

  it('a connection left open ends with its session; the app’s own polls do not keep it alive', async () => {
    const start = clock.now();
    const reg = await registerAs(server.url, 'pia');
    const socket = await rawConnect(server.url, reg.json.token as string, 2);
    const closed = closedByServer(socket);
    // 29 days of only what the app sends by itself: the session is not moved.
    clock.set(start + 29 * DAY);
    for (const event of ['ping:R', 'status:R', 'conv:list']) {
      expect(await ask(socket, event, event === 'status:R' ? { ids: ['x'] } : {})).toMatchObject({
        ok: true,
      });
    }
    await server.flushWrites();
    expect(expiryOf(reg.json.deviceId as string)).toBe(start + 30 * DAY);
    // Its expiry passes with nobody sending anything: the server closes the connection.
    clock.set(start + 30 * DAY + 1);
    expect(await closed).toBe('io server disconnect');
    await expect(rawConnect(server.url, reg.json.token as string, 2)).rejects.toThrow(
      'unauthorized',
    );
  });

  it('what the person does on a connection keeps the session; a request after it ended is refused and closes it', async () => {
    const start = clock.now();
    const reg = await registerAs(server.url, 'qia');
    const device = reg.json.deviceId as string;
    const socket = await rawConnect(server.url, reg.json.token as string, 2);
    // A message written 20 days in: 30 days from then.
    clock.set(start + 20 * DAY);
    const note = { id: 'n1', to: reg.json.userId, body: 'note to self' };
    expect(await ask(socket, 'msg:R', note)).toMatchObject({ ok: true });
    await server.flushWrites();
    expect(expiryOf(device)).toBe(start + 50 * DAY);
    // Its end passes; the request that comes first (before the connection's
    // own check) is refused, and the connection closed.
    const closed = closedByServer(socket);
    clock.set(start + 50 * DAY + 1);
    expect(
      await ask(socket, 'msg:R', { id: 'n2', to: reg.json.userId, body: 'too late' }),
    ).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await closed).toBe('io server disconnect');
    await server.flushWrites();
    expect(expiryOf(device)).toBeUndefined();
  });
});

describe('password hashes', () => {
  it('replaces a hash made with older scrypt parameters at the next sign-in', async () => {
    const data = tempDir();
    const hashOf = () =>
      inDatabase(data.dir, (db) =>
        db.prepare("SELECT password_hash FROM users WHERE username = 'quinn'").pluck().get(),
      ) as string;
    try {
      const old = await startServer({ dataDir: data.dir, scrypt: { N: 2 ** 10, r: 8, p: 1 } });
      await registerAs(old.url, 'quinn');
      await old.close();
      expect(hashOf()).toMatch(/^scrypt\$1024\$8\$1\$/);
      const before = hashOf();

      const current = await startServer({ dataDir: data.dir, scrypt: { N: 2 ** 12, r: 8, p: 1 } });
      try {
        expect((await loginAs(current.url, 'quinn', 'wrong password')).status).toBe(401);
        expect(hashOf()).toBe(before);
        expect((await loginAs(current.url, 'quinn')).status).toBe(200);
        expect(hashOf()).toMatch(/^scrypt\$4096\$8\$1\$/);
        // The new hash works.
        expect((await loginAs(current.url, 'quinn')).status).toBe(200);
      } finally {
        await current.close();
      }
    } finally {
      data.remove();
    }
  });
});
