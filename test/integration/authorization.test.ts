import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MsgN, Session } from '../../protocol';
import { login } from '../../client/api';
import { newUser } from '../support/clients';
import { ask, nextPush, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('authorization', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;
  let mallory: Session;

  beforeAll(async () => {
    server = await startServer();
    [alice, bob, mallory] = await Promise.all([
      newUser(server.url, 'alice'),
      newUser(server.url, 'bob'),
      newUser(server.url, 'mallory'),
    ]);
  });
  afterAll(() => server.close());

  it('refuses a bad or missing token with connect_error "unauthorized"', async () => {
    for (const token of [undefined, '', 'not-a-token', 42, { token: 'x' }, alice.token + 'x']) {
      await expect(rawConnect(server.url, token)).rejects.toThrow('unauthorized');
    }
  });

  it('takes the sender from the session, never from the packet', async () => {
    const a = await rawConnect(server.url, alice.token);
    const b = await rawConnect(server.url, bob.token);
    const pushed = nextPush<MsgN>(b, 'msg:N');
    const packet = { id: 'forged', to: bob.userId, body: 'hi', from: mallory.userId };
    expect(await ask(a, 'msg:R', packet)).toMatchObject({ ok: true });
    const msg = await pushed;
    expect(msg.from).toBe(alice.userId);
    expect(await ask(b, 'ack:R', { from: alice.userId, id: 'forged' })).toEqual({ ok: true });
    expect(await ask(b, 'ack:R', { from: mallory.userId, id: 'forged' })).toMatchObject({
      error: { code: 'not_found' },
    });
    a.close();
    b.close();
  });

  it("cannot acknowledge someone else's message nor pull someone else's inbox", async () => {
    const a = await rawConnect(server.url, alice.token);
    const m = await rawConnect(server.url, mallory.token);
    // bob is offline: the message waits in his inbox.
    expect(await ask(a, 'msg:R', { id: 'for-bob', to: bob.userId, body: 'secret' })).toMatchObject({
      ok: true,
    });
    expect(await ask(m, 'ack:R', { from: alice.userId, id: 'for-bob' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: expect.any(String) },
    });
    expect(await ask(m, 'offlineack:R', { ids: [{ from: alice.userId, id: 'for-bob' }] })).toEqual({
      ok: true,
    });
    // Asking for another user's inbox by any field still returns only mallory's own.
    expect(await ask(m, 'offline:R', { userId: bob.userId, to: bob.userId })).toEqual({
      ok: true,
      messages: [],
      more: false,
    });
    // The message is still bob's, unacknowledged.
    const b = await rawConnect(server.url, bob.token);
    const page = (await ask(b, 'offline:R', {})) as { messages: MsgN[] };
    expect(page.messages.map((x) => x.id)).toContain('for-bob');
    for (const s of [a, m, b]) s.close();
  });

  it('signing out closes the live connections of that session and refuses the token', async () => {
    const carol = await newUser(server.url, 'carol');
    const other = await login(server.url, {
      username: carol.username,
      password: 'correct horse battery',
    });
    const s1 = await rawConnect(server.url, carol.token);
    const s2 = await rawConnect(server.url, other.token);
    const closed = new Promise<string>((resolve) => s1.once('disconnect', resolve));
    const out = await fetch(`${server.url}/api/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${carol.token}` },
    });
    expect(out.status).toBe(200);
    expect(await closed).toBe('io server disconnect');
    await expect(rawConnect(server.url, carol.token)).rejects.toThrow('unauthorized');
    // The other session of the same user is untouched.
    expect(s2.connected).toBe(true);
    expect(await ask(s2, 'offline:R', {})).toMatchObject({ ok: true });
    s2.close();
  });

  it('protects /api/users with the bearer token', async () => {
    expect((await fetch(`${server.url}/api/users`)).status).toBe(401);
    const bad = await fetch(`${server.url}/api/users`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      ok: false,
      error: { code: 'unauthorized', message: expect.any(String) },
    });
    const ok = await fetch(`${server.url}/api/users`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const { users } = (await ok.json()) as { users: { userId: string; online: boolean }[] };
    expect(users.map((u) => u.userId)).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
  });
});
