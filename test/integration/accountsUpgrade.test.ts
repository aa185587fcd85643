/**
 * A database from before issue 10 (the v1 fixture, upgraded through every
 * migration): its oldest account becomes the admin, and the sessions it held
 * keep working, now with an expiry 30 days after the upgrade.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir } from '../support/servers';
import { inDatabase } from './accountsHttp';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1/', import.meta.url));
const DAY = 86_400_000;

describe('upgrading a database from before admins and expiring sessions', () => {
  const tmp = tempDir();
  let server: Awaited<ReturnType<typeof startServer>>;
  let upgradedAt: number;

  beforeAll(async () => {
    copyFileSync(path.join(FIXTURE, 'tickline.sqlite3'), path.join(tmp.dir, 'tickline.sqlite3'));
    upgradedAt = Date.now();
    server = await startServer({ dataDir: tmp.dir });
  });
  afterAll(async () => {
    await server.close();
    tmp.remove();
  });

  it('makes the oldest account the only admin', () => {
    const users = inDatabase(tmp.dir, (db) =>
      db.prepare('SELECT username, is_admin, disabled FROM users ORDER BY created_at').all(),
    );
    // alice was created first in the fixture.
    expect(users).toEqual([
      { username: 'alice', is_admin: 1, disabled: 0 },
      { username: 'bob', is_admin: 0, disabled: 0 },
      { username: 'carol', is_admin: 0, disabled: 0 },
    ]);
  });

  it('keeps every session, expiring 30 days after the upgrade however old it is', async () => {
    const expiries = inDatabase(tmp.dir, (db) =>
      db.prepare('SELECT expires_at FROM devices').pluck().all(),
    ) as number[];
    expect(expiries).toHaveLength(3);
    for (const at of expiries) {
      // Whole seconds in SQL: up to a second before the upgrade started.
      expect(at).toBeGreaterThanOrEqual(upgradedAt - 1000 + 30 * DAY);
      expect(at).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    }
  });
});
