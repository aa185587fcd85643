/**
 * The owner sets up the server (issue 21): on an empty server whose
 * registration is not `open`, the first account (the admin) needs the
 * one-time setup code the server printed at start. Without it, or with a
 * wrong one, nothing is created; tries are throttled per address; the code
 * stops working once the first account exists, is made anew at each start
 * while the server is empty, and is kept only as a hash. The server is not
 * announced on the LAN before it has its admin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Advertisement } from '../../server/discovery';
import { PasswordHasher, scryptDerive, type Derive } from '../../server/passwords';
import { startChildServer, type ChildServer } from '../support/childServer';
import { readDatabase, snapshotDatabase } from '../support/dbSnapshot';
import { FAST_SCRYPT, startServer, tempDir } from '../support/servers';
import { call, codeOf, PASSWORD, registerAs, type Answer } from './accountsHttp';

const FAST_HASH = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };
/** The CLI's defaults (registration by invite) but plain http and no mDNS. */
const CLI_DEFAULTS = ['--tls', 'off', '--discovery', 'off'];
/** How a setup code is printed: 20 letters of Crockford's base32 in groups of four. */
const PRINTED = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/;

/** A well-formed code that is not the server's (each letter moved one step on). */
function wrongCode(code: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...code].map((c) => (c === '-' ? c : alphabet[(alphabet.indexOf(c) + 1) % 32])).join('');
}

const userCount = (dataDir: string) =>
  readDatabase(dataDir, (db) => db.prepare('SELECT count(*) FROM users').pluck().get());

/** `POST /api/register` sent from the local address `from` (127.0.0.0/8 is all this machine). */
function registerFrom(from: string, base: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/api/register`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the setup code of a server started from the command line', () => {
  const tmp = tempDir('tickline-setup-');
  let server: ChildServer | undefined;
  afterAll(async () => {
    await server?.stop();
    tmp.remove();
  });
  const start = async () => {
    server = await startChildServer(
      ['--host', '127.0.0.1', '--port', '0', '--data', tmp.dir],
      FAST_HASH,
      { defaults: CLI_DEFAULTS },
    );
    return server;
  };
  let first: string;

  it('prints a setup code on an empty server and refuses the first account without it', async () => {
    const { url, setupCode } = await start();
    // The attack: whoever reaches a fresh server first, without the code, does not
    // become its admin (before issue 21 this was 201 with isAdmin true).
    const before = snapshotDatabase(tmp.dir);
    const missing = await registerAs(url, 'owner');
    expect(missing.status).toBe(403);
    expect(missing.json).toEqual({
      ok: false,
      error: { code: 'setup_required', message: expect.stringContaining('setup code') },
    });
    expect(setupCode).toMatch(PRINTED);
    first = setupCode!;
    expect(await call('GET', `${url}/api/setup`)).toEqual({
      status: 200,
      json: { setupRequired: true },
    });
    // wire-v1's /api/config is unchanged.
    expect((await call('GET', `${url}/api/config`)).json).toEqual({
      ackTimeoutMs: 5000,
      maxAttempts: 5,
    });
    const wrong = await registerAs(url, 'owner', { setupCode: wrongCode(first) });
    expect([wrong.status, codeOf(wrong)]).toEqual([403, 'setup_required']);
    for (const malformed of ['ABCD', 'UUUU-UUUU-UUUU-UUUU-UUUU', 42, 'x'.repeat(65)]) {
      const answer = await registerAs(url, 'owner', { setupCode: malformed });
      expect([answer.status, codeOf(answer)], String(malformed)).toEqual([400, 'invalid_input']);
    }
    expect(snapshotDatabase(tmp.dir)).toBe(before);
    expect(userCount(tmp.dir)).toBe(0);
  });

  it('prints a new code after a restart while still empty; the old one no longer works', async () => {
    expect(await server!.stop()).toBe(0);
    const { url, setupCode } = await start();
    expect(setupCode).toMatch(PRINTED);
    expect(setupCode).not.toBe(first);
    const old = await registerAs(url, 'owner', { setupCode: first });
    expect([old.status, codeOf(old)]).toEqual([403, 'setup_required']);
    expect(userCount(tmp.dir)).toBe(0);
    first = setupCode!;
  });

  it('takes the printed code (typed in any case, with or without dashes): the owner is admin', async () => {
    const { url } = server!;
    const typed = first.toLowerCase().replaceAll('-', ' ');
    const owner = await registerAs(url, 'owner', { setupCode: typed });
    expect(owner.status).toBe(201);
    expect(owner.json).toMatchObject({ username: 'owner', isAdmin: true });
    expect((await call('GET', `${url}/api/setup`)).json).toEqual({ setupRequired: false });
  });

  it('refuses the code once an account exists; later people need an invite', async () => {
    const { url } = server!;
    const before = snapshotDatabase(tmp.dir);
    const again = await registerAs(url, 'mallory', { setupCode: first });
    expect([again.status, codeOf(again)]).toEqual([403, 'invite_required']);
    expect(snapshotDatabase(tmp.dir)).toBe(before);
  });

  it('keeps only a hash: the code is in no file of the data directory', () => {
    const forms = [first, first.replaceAll('-', '')];
    for (const name of readdirSync(tmp.dir)) {
      const file = path.join(tmp.dir, name);
      const bytes = readFileSync(file).toString('latin1');
      for (const form of forms) expect(bytes.includes(form), `${name} holds the code`).toBe(false);
    }
  });

  it('prints no setup code once the server has its admin', async () => {
    expect(await server!.stop()).toBe(0);
    const { url, setupCode } = await start();
    expect(setupCode).toBeUndefined();
    expect((await call('GET', `${url}/api/setup`)).json).toEqual({ setupRequired: false });
    const login = await call('POST', `${url}/api/login`, {
      body: { username: 'owner', password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });
});

describe('setup code: modes, throttling, races', () => {
  it('open registration needs no code and prints none', async () => {
    const server = await startServer({ registration: 'open' });
    try {
      expect(server.setupCode).toBeUndefined();
      expect((await call('GET', `${server.url}/api/setup`)).json).toEqual({
        setupRequired: false,
      });
      expect((await registerAs(server.url, 'first')).json).toMatchObject({ isAdmin: true });
    } finally {
      await server.close();
    }
  });

  it('closed: without a code still registration_closed; with it only the admin', async () => {
    const server = await startServer({ registration: 'closed' });
    try {
      const code = server.setupCode!;
      expect(code).toMatch(PRINTED);
      const none = await registerAs(server.url, 'owner');
      expect([none.status, codeOf(none)]).toEqual([403, 'registration_closed']);
      const wrong = await registerAs(server.url, 'owner', { setupCode: wrongCode(code) });
      expect([wrong.status, codeOf(wrong)]).toEqual([403, 'setup_required']);
      expect(userCount(server.dataDir)).toBe(0);
      const owner = await registerAs(server.url, 'owner', { setupCode: code });
      expect([owner.status, owner.json.isAdmin]).toEqual([201, true]);
      const next = await registerAs(server.url, 'second', { setupCode: code });
      expect([next.status, codeOf(next)]).toEqual([403, 'registration_closed']);
      expect(userCount(server.dataDir)).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('throttles tries per address (as registrations): even the right code waits', async () => {
    const server = await startServer({
      registration: 'invite',
      loginLimits: { registrationBurst: 3, registrationIntervalMs: 3_600_000 },
    });
    try {
      const code = server.setupCode!;
      const base = `http://127.0.0.1:${server.port}`;
      // A request without a code guesses nothing and is not counted.
      for (let i = 0; i < 5; i++) {
        expect(
          codeOf(await registerFrom('127.0.0.1', base, { username: 'eve', password: PASSWORD })),
        ).toBe('setup_required');
      }
      for (let i = 0; i < 3; i++) {
        const guess = await registerFrom('127.0.0.1', base, {
          username: 'eve',
          password: PASSWORD,
          setupCode: wrongCode(code),
        });
        expect([guess.status, codeOf(guess)]).toEqual([403, 'setup_required']);
      }
      const blocked = await registerFrom('127.0.0.1', base, {
        username: 'eve',
        password: PASSWORD,
        setupCode: code,
      });
      expect(blocked.status).toBe(429);
      expect(blocked.json.error).toMatchObject({
        code: 'rate_limited',
        retryAfterMs: expect.any(Number),
      });
      expect(userCount(server.dataDir)).toBe(0);
      // Another address is not held back by those guesses.
      const owner = await registerFrom('127.0.0.2', base, {
        username: 'owner',
        password: PASSWORD,
        setupCode: code,
      });
      expect([owner.status, owner.json.isAdmin]).toEqual([201, true]);
    } finally {
      await server.close();
    }
  });

  it('two registrations racing with the right code: one admin, the other refused, nothing else stored', async () => {
    let gate: { waiting: (() => void)[] } | undefined = { waiting: [] };
    // Both hashes start (both passed the code check) before either is stored.
    const gatedDerive: Derive = async (password, salt, params) => {
      const g = gate;
      if (g) {
        await new Promise<void>((resolve) => {
          g.waiting.push(resolve);
          if (g.waiting.length < 2) return;
          gate = undefined;
          g.waiting.forEach((release) => release());
        });
      }
      return scryptDerive(password, salt, params);
    };
    const server = await startServer({
      registration: 'invite',
      passwordHasher: new PasswordHasher(FAST_SCRYPT, { derive: gatedDerive }),
    });
    try {
      const setupCode = server.setupCode!;
      const answers = await Promise.all([
        registerAs(server.url, 'alice', { setupCode }),
        registerAs(server.url, 'bob', { setupCode }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 403]);
      expect(answers.find((a) => a.status === 403)!.json).toMatchObject({
        error: { code: 'invite_required' },
      });
      expect(answers.find((a) => a.status === 201)!.json.isAdmin).toBe(true);
      expect(userCount(server.dataDir)).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('LAN discovery waits for the admin', () => {
  /** A stand-in for mDNS: what was advertised, and whether it was stopped. */
  function watcher() {
    const ads: Advertisement[] = [];
    let stopped = 0;
    return {
      ads,
      stopped: () => stopped,
      advertise: (ad: Advertisement) => {
        ads.push(ad);
        return {
          name: ad.name ?? 'test',
          stop: async () => {
            stopped++;
          },
        };
      },
    };
  }

  for (const registration of ['invite', 'open'] as const) {
    it(`${registration}: nothing is announced before the first account; it is after, without a restart`, async () => {
      const mdns = watcher();
      // Every interface (a loopback-only server is never announced); nothing leaves
      // the machine: the advertiser is the stand-in.
      const server = await startServer({
        host: '0.0.0.0',
        registration,
        discovery: true,
        name: 'Office',
        advertise: mdns.advertise,
      });
      const base = `http://127.0.0.1:${server.port}`;
      try {
        expect(mdns.ads).toEqual([]);
        if (registration === 'invite') {
          await registerAs(base, 'owner', { setupCode: wrongCode(server.setupCode!) });
          expect(mdns.ads).toEqual([]);
        }
        const owner = await registerAs(base, 'owner', { setupCode: server.setupCode });
        expect(owner.status).toBe(201);
        expect(mdns.ads).toEqual([
          expect.objectContaining({ name: 'Office', port: server.port, interface: undefined }),
        ]);
        await registerAs(base, 'second', {});
        expect(mdns.ads).toHaveLength(1);
      } finally {
        await server.close();
      }
      expect(mdns.stopped()).toBe(1);
    });
  }

  it('a server that already has its admin is announced at start', async () => {
    const tmp = tempDir('tickline-setup-ad-');
    try {
      const first = await startServer({ dataDir: tmp.dir, registration: 'open' });
      await registerAs(first.url, 'owner');
      await first.close();
      const mdns = watcher();
      const server = await startServer({
        dataDir: tmp.dir,
        host: '0.0.0.0',
        discovery: true,
        advertise: mdns.advertise,
      });
      expect(server.setupCode).toBeUndefined();
      expect(mdns.ads).toHaveLength(1);
      await server.close();
    } finally {
      tmp.remove();
    }
  });
});
