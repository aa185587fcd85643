/**
 * Profile (issue 11): `PATCH /api/me` changes the person's display name, in
 * the database and in what everyone's next `GET /api/users` says; bad names
 * are refused with 400 and change nothing; read receipts keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotDatabase } from '../support/dbSnapshot';
import { startServer } from '../support/servers';
import { call, codeOf, inDatabase, registerAs } from './accountsHttp';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('profile: display name', () => {
  let server: Started;
  let ann: { token: string; userId: string };
  let bob: { token: string };

  beforeAll(async () => {
    server = await startServer({ registration: 'open' });
    const a = await registerAs(server.url, 'ann', { displayName: 'Ann' });
    ann = { token: a.json.token as string, userId: a.json.userId as string };
    const b = await registerAs(server.url, 'bob', { displayName: 'Bob' });
    bob = { token: b.json.token as string };
  });
  afterAll(() => server.close());

  const patchMe = (body: unknown) =>
    call('PATCH', `${server.url}/api/me`, { token: ann.token, body });
  const nameSeenBy = async (token: string) => {
    const answer = await call('GET', `${server.url}/api/users`, { token });
    const users = answer.json.users as { userId: string; displayName: string }[];
    return users.find((u) => u.userId === ann.userId)?.displayName;
  };
  const storedName = () =>
    inDatabase(server.dataDir, (db) =>
      db.prepare('SELECT display_name FROM users WHERE id = ?').pluck().get(ann.userId),
    );

  it('a new name is stored (NFC, trimmed) and seen by others and by the person', async () => {
    const answer = await patchMe({ displayName: '  Ünal Ann '.replace('Ü', 'U\u0308') });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ displayName: 'Ünal Ann', readReceipts: true });
    expect(storedName()).toBe('Ünal Ann');
    expect(await nameSeenBy(bob.token)).toBe('Ünal Ann');
    const me = await call('GET', `${server.url}/api/me`, { token: ann.token });
    expect(me.json.displayName).toBe('Ünal Ann');
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['too long', 'x'.repeat(65)],
    ['a bidi override', 'Ann\u202Egnp.exe'],
    ['a zero-width space', 'An\u200Bn'],
    ['a newline', 'Ann\nAdmin'],
    ['not a string', 42],
  ])('refuses a name that is %s with 400 and changes nothing', async (_what, displayName) => {
    const before = snapshotDatabase(server.dataDir);
    const answer = await patchMe({ displayName });
    expect([answer.status, codeOf(answer)]).toEqual([400, 'invalid_input']);
    expect(answer.json.ok).toBe(false);
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    expect(await nameSeenBy(bob.token)).toBe('Ünal Ann');
  });

  it('refuses an empty body and unknown fields, changing nothing', async () => {
    const before = snapshotDatabase(server.dataDir);
    for (const body of [{}, { username: 'root' }, { displayName: 'Eve', isAdmin: true }]) {
      const answer = await patchMe(body);
      expect([answer.status, codeOf(answer)]).toEqual([400, 'invalid_input']);
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    expect(await nameSeenBy(bob.token)).toBe('Ünal Ann');
  });

  it('read receipts still change alone, and with a name in one call', async () => {
    const off = await patchMe({ readReceipts: false });
    expect(off.json).toEqual({ readReceipts: false });
    expect(storedName()).toBe('Ünal Ann');
    const both = await patchMe({ readReceipts: true, displayName: 'Ann' });
    expect(both.json).toEqual({ displayName: 'Ann', readReceipts: true });
    expect(await nameSeenBy(bob.token)).toBe('Ann');
  });

  it('needs a signed-in person', async () => {
    const answer = await call('PATCH', `${server.url}/api/me`, { body: { displayName: 'X' } });
    expect(answer.status).toBe(401);
    expect(storedName()).toBe('Ann');
  });
});
