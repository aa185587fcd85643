/**
 * Registration by invite (issue 10 §2): the first account of an empty server
 * is created with the setup code (issue 21, test/integration/setup.test.ts)
 * and is its admin; every later one needs a usable invite,
 * whose use is counted atomically with the account; a refused registration
 * changes nothing; invites are stored only hashed.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordHasher, scryptDerive, type Derive } from '../../server/passwords';
import { snapshotDatabase } from '../support/dbSnapshot';
import { FAST_SCRYPT, startServer } from '../support/servers';
import { call, codeOf, inDatabase, registerAs } from './accountsHttp';

type Started = Awaited<ReturnType<typeof startServer>>;

/** Hashes held back until `size` of them have started, when a test sets it (to make sign-ups race). */
let gate: { size: number; waiting: (() => void)[] } | undefined;
const gatedDerive: Derive = async (password, salt, params) => {
  const g = gate;
  if (g) {
    await new Promise<void>((resolve) => {
      g.waiting.push(resolve);
      if (g.waiting.length >= g.size) {
        gate = undefined;
        g.waiting.forEach((release) => release());
      }
    });
  }
  return scryptDerive(password, salt, params);
};

describe('invite mode', () => {
  let server: Started;
  let adminToken: string;
  let memberToken: string;
  const hasher = new PasswordHasher(FAST_SCRYPT, { derive: gatedDerive });

  beforeAll(async () => {
    server = await startServer({ registration: 'invite', passwordHasher: hasher });
  });
  afterAll(() => server.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const invite = async (body: unknown = {}) =>
    call('POST', `${server.url}/api/invites`, { token: adminToken, body });

  it('creates the first account without an invite, as the admin', async () => {
    const first = await registerAs(server.url, 'boss', { setupCode: server.setupCode });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ username: 'boss', isAdmin: true });
    adminToken = first.json.token as string;
    const users = await call('GET', `${server.url}/api/admin/users`, { token: adminToken });
    expect(users.json.users).toEqual([
      expect.objectContaining({ username: 'boss', isAdmin: true }),
    ]);
  });

  it('refuses a second account without a valid invite, changing nothing', async () => {
    const before = snapshotDatabase(server.dataDir);
    const hashed = hasher.derivations;
    for (const extra of [{}, { invite: 'A'.repeat(22) }]) {
      const answer = await registerAs(server.url, 'mallory', extra);
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({
        ok: false,
        error: { code: 'invite_required', message: expect.stringContaining('invite') },
      });
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    // Refused before any password hashing: a flood of invalid sign-ups costs no CPU.
    expect(hasher.derivations).toBe(hashed);
  });

  it('lets only admins make invites; an invite creates up to maxUses accounts', async () => {
    const created = await invite({ maxUses: 2, expiresInHours: 1 });
    expect(created.status).toBe(201);
    const code = created.json.code as string;
    expect(created.json).toMatchObject({ maxUses: 2, uses: 0, createdBy: 'boss' });
    expect(created.json.expiresAt as number).toBeGreaterThan(Date.now() + 3_500_000);
    expect(created.json.expiresAt as number).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const one = await registerAs(server.url, 'carol', { invite: code });
    expect(one.status).toBe(201);
    expect(one.json.isAdmin).toBe(false);
    memberToken = one.json.token as string;
    expect((await registerAs(server.url, 'dave', { invite: code })).status).toBe(201);
    const third = await registerAs(server.url, 'erin', { invite: code });
    expect([third.status, codeOf(third)]).toEqual([403, 'invite_required']);

    const listed = await call('GET', `${server.url}/api/invites`, { token: adminToken });
    expect(listed.json.invites).toContainEqual(
      expect.objectContaining({ id: created.json.id, uses: 2, maxUses: 2 }),
    );

    // A member is not an admin: 403 forbidden on every admin route.
    for (const [method, route] of [
      ['POST', '/api/invites'],
      ['GET', '/api/invites'],
      ['DELETE', `/api/invites/${String(created.json.id)}`],
      ['GET', '/api/admin/users'],
    ] as const) {
      const answer = await call(method, `${server.url}${route}`, {
        token: memberToken,
        ...(method === 'POST' ? { body: {} } : {}),
      });
      expect([route, answer.status, codeOf(answer)]).toEqual([route, 403, 'forbidden']);
    }
    // Without a token: 401.
    expect((await call('GET', `${server.url}/api/invites`)).status).toBe(401);
  });

  it('counts uses atomically: two sign-ups racing for the last use, one wins', async () => {
    const code = (await invite({ maxUses: 1 })).json.code as string;
    // Both pass the first check and hash their passwords at the same time.
    gate = { size: 2, waiting: [] };
    const answers = await Promise.all([
      registerAs(server.url, 'race1', { invite: code }),
      registerAs(server.url, 'race2', { invite: code }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 403]);
    const users = inDatabase(server.dataDir, (db) =>
      db.prepare("SELECT count(*) FROM users WHERE username LIKE 'race%'").pluck().get(),
    );
    expect(users).toBe(1);
  });

  it('refuses a revoked invite and an expired one', async () => {
    const revoked = await invite();
    const del = await call('DELETE', `${server.url}/api/invites/${String(revoked.json.id)}`, {
      token: adminToken,
    });
    expect(del.status).toBe(200);
    const listed = await call('GET', `${server.url}/api/invites`, { token: adminToken });
    expect(listed.json.invites).toContainEqual(
      expect.objectContaining({ id: revoked.json.id, revokedAt: expect.any(Number) }),
    );
    const r = await registerAs(server.url, 'frank', { invite: revoked.json.code });
    expect([r.status, codeOf(r)]).toEqual([403, 'invite_required']);
    // Revoking by the code itself works too; an unknown one is 404.
    const byCode = await invite();
    expect(
      (
        await call('DELETE', `${server.url}/api/invites/${String(byCode.json.code)}`, {
          token: adminToken,
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('DELETE', `${server.url}/api/invites/nope`, { token: adminToken })).status,
    ).toBe(404);

    const expiring = await invite({ expiresInHours: 1 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_001);
    const e = await registerAs(server.url, 'grace', { invite: expiring.json.code });
    expect([e.status, codeOf(e)]).toEqual([403, 'invite_required']);
  });

  it('rejects bad invite bodies with invalid_input and makes no invite', async () => {
    const count = () =>
      inDatabase(server.dataDir, (db) => db.prepare('SELECT count(*) FROM invites').pluck().get());
    const before = count();
    for (const body of [
      { maxUses: 0 },
      { maxUses: 1.5 },
      { expiresInHours: 0 },
      { expiresInHours: 24 * 31 },
      { maxUses: '3' },
      { extra: true },
    ]) {
      const answer = await invite(body);
      expect([JSON.stringify(body), answer.status, codeOf(answer)]).toEqual([
        JSON.stringify(body),
        400,
        'invalid_input',
      ]);
    }
    expect(count()).toBe(before);
  });

  it('stores invite codes only as SHA-256 hashes', async () => {
    const created = await invite();
    const code = created.json.code as string;
    const row = inDatabase(server.dataDir, (db) =>
      db.prepare('SELECT * FROM invites WHERE id = ?').get(created.json.id),
    ) as Record<string, unknown>;
    expect(row.code_hash).toEqual(createHash('sha256').update(code).digest());
    const text = JSON.stringify(row, (_k, v: unknown) =>
      Buffer.isBuffer(v) ? v.toString('latin1') : v,
    );
    expect(text).not.toContain(code);
  });
});

describe('open and closed modes', () => {
  it('open: the first account is admin, later ones are not, no invite needed', async () => {
    const server = await startServer({ registration: 'open' });
    try {
      expect((await registerAs(server.url, 'first')).json.isAdmin).toBe(true);
      const second = await registerAs(server.url, 'second');
      expect([second.status, second.json.isAdmin]).toEqual([201, false]);
    } finally {
      await server.close();
    }
  });

  it('closed: nobody registers, not even with an invite', async () => {
    const server = await startServer({ registration: 'closed' });
    try {
      const answer = await registerAs(server.url, 'first', { invite: 'A'.repeat(22) });
      expect([answer.status, codeOf(answer)]).toEqual([403, 'registration_closed']);
    } finally {
      await server.close();
    }
  });
});
