/**
 * Admin powers (issue 10 §2): list accounts, disable one (its sessions end and
 * its sockets close at once, it cannot sign in), make or remove admins (never
 * the last one), and issue one-time password-reset codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotDatabase } from '../support/dbSnapshot';
import { rawConnect } from '../support/raw';
import { startServer } from '../support/servers';
import { call, closedByServer, codeOf, loginAs, PASSWORD, registerAs } from './accountsHttp';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('admin', () => {
  let server: Started;
  let admin: { token: string; userId: string };
  let bob: { token: string; userId: string };

  beforeAll(async () => {
    server = await startServer({ registration: 'open' });
    const a = await registerAs(server.url, 'admin1');
    admin = { token: a.json.token as string, userId: a.json.userId as string };
    const b = await registerAs(server.url, 'bob', { displayName: 'Bob' });
    bob = { token: b.json.token as string, userId: b.json.userId as string };
  });
  afterAll(() => server.close());

  const patch = (id: string, body: unknown, token = admin.token) =>
    call('PATCH', `${server.url}/api/admin/users/${id}`, { token, body });

  it('lists every account with its flags', async () => {
    const answer = await call('GET', `${server.url}/api/admin/users`, { token: admin.token });
    expect(answer.status).toBe(200);
    expect(answer.json.users).toEqual([
      expect.objectContaining({ username: 'admin1', isAdmin: true, disabled: false }),
      expect.objectContaining({
        username: 'bob',
        displayName: 'Bob',
        isAdmin: false,
        disabled: false,
      }),
    ]);
    const me = await call('GET', `${server.url}/api/me`, { token: admin.token });
    expect(me.json.isAdmin).toBe(true);
  });

  it('disabling ends the sessions at once: socket closed, token refused, sign-in refused', async () => {
    const socket = await rawConnect(server.url, bob.token, 2);
    const closed = closedByServer(socket);
    const answer = await patch(bob.userId, { disabled: true });
    expect(answer.status).toBe(200);
    expect(answer.json.user).toMatchObject({ username: 'bob', disabled: true });
    expect(await closed).toBe('io server disconnect');
    expect((await call('GET', `${server.url}/api/me`, { token: bob.token })).status).toBe(401);
    await expect(rawConnect(server.url, bob.token, 2)).rejects.toThrow('unauthorized');
    const login = await loginAs(server.url, 'bob');
    expect([login.status, codeOf(login)]).toEqual([403, 'account_disabled']);
    // A wrong password still says only "wrong username or password".
    expect(codeOf(await loginAs(server.url, 'bob', 'not the password'))).toBe('bad_credentials');

    expect((await patch(bob.userId, { disabled: false })).status).toBe(200);
    const again = await loginAs(server.url, 'bob');
    expect(again.status).toBe(200);
    bob.token = again.json.token as string;
  });

  it('only admins change accounts', async () => {
    const before = snapshotDatabase(server.dataDir);
    const answer = await patch(admin.userId, { disabled: true }, bob.token);
    expect([answer.status, codeOf(answer)]).toEqual([403, 'forbidden']);
    const reset = await call('POST', `${server.url}/api/admin/users/${admin.userId}/reset-code`, {
      token: bob.token,
    });
    expect([reset.status, codeOf(reset)]).toEqual([403, 'forbidden']);
    expect(snapshotDatabase(server.dataDir)).toBe(before);
  });

  it('keeps the last admin: no removing their own admin, no disabling themselves', async () => {
    const before = snapshotDatabase(server.dataDir);
    for (const body of [{ admin: false }, { disabled: true }, { admin: true, disabled: true }]) {
      const answer = await patch(admin.userId, body);
      expect([answer.status, codeOf(answer)]).toEqual([409, 'last_admin']);
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    // With a second admin, the first may step down.
    expect((await patch(bob.userId, { admin: true })).status).toBe(200);
    expect((await patch(admin.userId, { admin: false })).status).toBe(200);
    expect((await call('GET', `${server.url}/api/invites`, { token: admin.token })).status).toBe(
      403,
    );
    // Bob is now the last admin; he gives admin back.
    expect((await patch(bob.userId, { admin: false }, bob.token)).status).toBe(409);
    expect((await patch(admin.userId, { admin: true }, bob.token)).status).toBe(200);
    expect((await patch(bob.userId, { admin: false }, bob.token)).status).toBe(200);
  });

  it('rejects bad patches and unknown accounts, changing nothing', async () => {
    const before = snapshotDatabase(server.dataDir);
    for (const body of [{}, { disabled: 'yes' }, { admin: 1 }, { role: 'admin' }, null]) {
      const answer = await patch(bob.userId, body);
      expect([answer.status, codeOf(answer)]).toEqual([400, 'invalid_input']);
    }
    expect((await patch('no-such-user', { disabled: true })).status).toBe(404);
    expect(snapshotDatabase(server.dataDir)).toBe(before);
  });

  it('issues a one-time reset code: it sets the password once and ends every session', async () => {
    const socket = await rawConnect(server.url, bob.token, 2);
    const closed = closedByServer(socket);
    const issued = await call('POST', `${server.url}/api/admin/users/${bob.userId}/reset-code`, {
      token: admin.token,
    });
    expect(issued.status).toBe(201);
    const code = issued.json.code as string;
    expect(issued.json.expiresAt as number).toBeGreaterThan(Date.now() + 23 * 3_600_000);

    const reset = (body: Record<string, unknown>) =>
      call('POST', `${server.url}/api/password/reset`, {
        body: { username: 'bob', newPassword: 'brand new secret', ...body },
      });
    const before = snapshotDatabase(server.dataDir);
    const wrong = await reset({ code: 'B'.repeat(22) });
    expect([wrong.status, codeOf(wrong)]).toEqual([400, 'invalid_code']);
    expect([(await reset({ code, username: 'admin1' })).status]).toEqual([400]);
    expect(snapshotDatabase(server.dataDir)).toBe(before);

    expect((await reset({ code })).status).toBe(200);
    expect(await closed).toBe('io server disconnect');
    expect((await call('GET', `${server.url}/api/me`, { token: bob.token })).status).toBe(401);
    expect((await loginAs(server.url, 'bob', PASSWORD)).status).toBe(401);
    expect((await loginAs(server.url, 'bob', 'brand new secret')).status).toBe(200);
    const twice = await reset({ code, newPassword: 'third password' });
    expect([twice.status, codeOf(twice)]).toEqual([400, 'invalid_code']);
  });
});
