import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceN, Session } from '../../protocol';
import { newUser } from '../support/clients';
import { nextPush, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('presence', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;
  beforeAll(async () => {
    server = await startServer();
    [alice, bob] = await Promise.all([newUser(server.url, 'alice'), newUser(server.url, 'bob')]);
  });
  afterAll(() => server.close());

  it('pushes batched presence changes and reports them in /api/users', async () => {
    const a = await rawConnect(server.url, alice.token);
    const online = nextPush<PresenceN>(a, 'presence:N');
    const b1 = await rawConnect(server.url, bob.token);
    const b2 = await rawConnect(server.url, bob.token);
    expect((await online).changes).toContainEqual({ userId: bob.userId, online: true });
    const users = async () =>
      (
        (await (
          await fetch(`${server.url}/api/users`, {
            headers: { authorization: `Bearer ${alice.token}` },
          })
        ).json()) as { users: { userId: string; online: boolean }[] }
      ).users;
    expect((await users()).find((u) => u.userId === bob.userId)?.online).toBe(true);

    // Bob is online while any of his connections is.
    const offline = nextPush<PresenceN>(a, 'presence:N');
    b1.close();
    b2.close();
    expect((await offline).changes).toEqual([{ userId: bob.userId, online: false }]);
    expect((await users()).find((u) => u.userId === bob.userId)?.online).toBe(false);
    a.close();
  });
});
