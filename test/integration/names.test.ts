/**
 * Names that cannot impersonate (issue 10 §4, issue 21): display, device
 * and group names are NFC-normalised; control, bidi, zero-width and other
 * invisible characters, odd spaces and names of nothing but marks are
 * refused with 400 `invalid_input` (or the socket's `invalid_input`) and
 * nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotDatabase } from '../support/dbSnapshot';
import { ask, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';
import { call, codeOf, registerAs } from './accountsHttp';

type Started = Awaited<ReturnType<typeof startServer>>;

/** One of each kind the rules name, inside an otherwise ordinary name. */
const HIDDEN = [
  ['RLO (bidi override)', '\u202E'],
  ['LRE', '\u202A'],
  ['PDF', '\u202C'],
  ['FSI (bidi isolate)', '\u2068'],
  ['PDI', '\u2069'],
  ['LRM', '\u200E'],
  ['RLM', '\u200F'],
  ['ALM', '\u061C'],
  ['zero-width space', '\u200B'],
  ['ZWNJ', '\u200C'],
  ['ZWJ', '\u200D'],
  ['word joiner', '\u2060'],
  ['BOM', '\uFEFF'],
  ['soft hyphen (Cf)', '\u00AD'],
  ['NUL', '\u0000'],
  ['newline', '\n'],
  ['DEL', '\u007F'],
  ['C1 control', '\u0085'],
  ['line separator', '\u2028'],
  ['Hangul filler', '\u3164'],
] as const;

/** What slipped through before issue 21, each as a name that looks like "Alice". */
const LOOKALIKE = [
  ['combining grapheme joiner', 'Alice\u034F', 'may not contain control'],
  ['braille blank', 'Alice\u2800', 'may not contain control'],
  ['variation selector after a letter', 'Alice\uFE0F', 'may not contain control'],
  ['ideographic variation selector after a letter', 'Alice\u{E0100}', 'may not contain control'],
  ['Khmer vowel inherent', 'Ali\u17B5ce', 'may not contain control'],
  ['Mongolian variation selector', 'Ali\u180Bce', 'may not contain control'],
  ['hair space', 'Al\u200Aice', 'may contain no space other than a plain space'],
  ['no-break space', 'Al\u00A0ice', 'may contain no space other than a plain space'],
  ['only combining marks', '\u0301\u0302', 'must start with a visible character'],
] as const;

describe('names', () => {
  let server: Started;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('refuses display names with control, bidi or zero-width characters; nothing is stored', async () => {
    const before = snapshotDatabase(server.dataDir);
    for (const [what, ch] of HIDDEN) {
      const answer = await registerAs(server.url, 'mallory', { displayName: `Ali${ch}ce` });
      expect([what, answer.status, codeOf(answer)]).toEqual([what, 400, 'invalid_input']);
      expect((answer.json.error as { message: string }).message).toMatch(
        /^displayName: may not contain control, bidi-override, zero-width/,
      );
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
  });

  it('refuses look-alike names (issue 21) at registration: 400 with the rule, nothing stored', async () => {
    const before = snapshotDatabase(server.dataDir);
    for (const [what, name, rule] of LOOKALIKE) {
      const answer = await registerAs(server.url, 'mallory2', { displayName: name });
      expect([what, answer.status, codeOf(answer)]).toEqual([what, 400, 'invalid_input']);
      expect([what, (answer.json.error as { message: string }).message]).toEqual([
        what,
        expect.stringContaining(`displayName: ${rule}`),
      ]);
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    // An emoji with its presentation selector is a name.
    const heart = await registerAs(server.url, 'hearts', { displayName: 'Ana \u2764\uFE0F' });
    expect([heart.status, heart.json.displayName]).toEqual([201, 'Ana \u2764\uFE0F']);
  });

  it('refuses renaming to a look-alike name (PATCH /api/me): 400, the old name kept', async () => {
    const alice = await registerAs(server.url, 'alice21', { displayName: 'Alice' });
    const token = alice.json.token as string;
    const before = snapshotDatabase(server.dataDir);
    for (const [what, name] of LOOKALIKE) {
      const answer = await call('PATCH', `${server.url}/api/me`, {
        token,
        body: { displayName: name },
      });
      expect([what, answer.status, codeOf(answer)]).toEqual([what, 400, 'invalid_input']);
    }
    expect(snapshotDatabase(server.dataDir)).toBe(before);
    const me = await call('GET', `${server.url}/api/me`, { token });
    expect(me.json.displayName).toBe('Alice');
  });

  it('refuses the same characters in device names', async () => {
    const answer = await registerAs(server.url, 'mallory', { deviceName: 'Phone\u200B' });
    expect([answer.status, codeOf(answer)]).toEqual([400, 'invalid_input']);
  });

  it('stores names NFC-normalised, and keeps ordinary letters of every script', async () => {
    const decomposed = 'Zoe\u0308 Cafe\u0301';
    const answer = await registerAs(server.url, 'zoe', { displayName: decomposed });
    expect(answer.status).toBe(201);
    expect(answer.json.displayName).toBe('Zo\u00EB Caf\u00E9');
    const users = await call('GET', `${server.url}/api/users`, {
      token: answer.json.token as string,
    });
    expect(users.json.users).toContainEqual(
      expect.objectContaining({ username: 'zoe', displayName: 'Zo\u00EB Caf\u00E9' }),
    );
    for (const name of ['王小明', 'Ольга', 'محمد', 'Ana María 🎉']) {
      const ok = await registerAs(server.url, `u${Math.random().toString(36).slice(2, 8)}`, {
        displayName: name,
      });
      expect([name, ok.status]).toEqual([name, 201]);
    }
  });

  it('refuses them in group names over the socket', async () => {
    const me = await registerAs(server.url, 'grouper');
    const socket = await rawConnect(server.url, me.json.token, 2);
    try {
      const answer = (await ask(socket, 'group:create', {
        name: 'Team\u202Etxt.exe',
        members: [],
      })) as { ok: boolean; error?: { code: string } };
      expect(answer).toMatchObject({
        ok: false,
        error: { code: 'invalid_input', message: expect.stringContaining('bidi-override') },
      });
      const lookalike = (await ask(socket, 'group:create', {
        name: 'Team\u034F',
        members: [],
      })) as { ok: boolean; error?: { code: string } };
      expect(lookalike).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      // The same request with a clean name works.
      expect(await ask(socket, 'group:create', { name: 'Team', members: [] })).toMatchObject({
        ok: true,
      });
    } finally {
      socket.close();
    }
  });
});
