/**
 * Catch-up and backfill of a long conversation: `npm run bench:catchup [-- --messages N]`.
 *
 * A server with a real SQLite file (synchronous=FULL) holds N messages from
 * alice to bob, written while one of bob's devices was away. Then:
 * 1. catch-up: that device's engine (MemoryStorage, so that the numbers are
 *    the protocol's and the server's, not fake-indexeddb's) reconnects and
 *    pulls everything from its cursor, in pages of at most 1 MiB;
 * 2. backfill: a device bob signs in for the first time scrolls the whole
 *    conversation back, page by page, from the server (`history:R`).
 * Prints page counts, sizes and times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { login, register } from '../client/api';
import { ImClient } from '../client/imClient';
import { MemoryStorage } from '../client/memoryStorage';
import {
  directConversationId,
  historyASchema,
  HISTORY_MAX_LIMIT,
  offlineA2Schema,
} from '../protocol';
import { createImServer } from '../server/index';
import { UNLIMITED_OPTIONS } from './unlimited';
import { connect } from './rawSocket';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    body: { type: 'string', default: '200' },
  },
});
const COUNT = Number(values.messages);
const BODY = Number(values.body);
const PASSWORD = 'correct horse battery';

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const summary = (sizes: number[]) =>
  `${sizes.length} pages, largest ${kib(Math.max(...sizes))}, total ${kib(sizes.reduce((a, b) => a + b, 0))}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickline-catchup-'));
  const server = await createImServer({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
    ...UNLIMITED_OPTIONS,
  });
  try {
    const alice = await register(server.url, { username: 'alice', password: PASSWORD });
    const bob = await register(server.url, { username: 'bob', password: PASSWORD });
    const away = await login(server.url, {
      username: 'bob',
      password: PASSWORD,
      deviceName: 'away',
    });
    const conv = directConversationId(alice.userId, bob.userId);

    // bob's first device stays online and confirms; the "away" device is not connected.
    const bobOnline = new ImClient({
      url: server.url,
      token: bob.token,
      userId: bob.userId,
      storage: new MemoryStorage(),
    });
    await bobOnline.start();
    const sender = await connect(server.url, alice.token);
    const body = (i: number) => `${i} `.padEnd(BODY, '·');
    const writeStart = performance.now();
    for (let i = 0; i < COUNT; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, COUNT - i) }, (_, j) =>
          sender
            .timeout(30_000)
            .emitWithAck('msg:R', { id: `m${i + j}`, to: bob.userId, body: body(i + j) }),
        ),
      );
    }
    const writeMs = performance.now() - writeStart;
    sender.close();
    await bobOnline.settled();
    bobOnline.close();

    // What the away device's pages look like on the wire.
    const probe = await connect(server.url, away.token);
    const pageSizes: number[] = [];
    const probeStart = performance.now();
    for (let more = true; more;) {
      const answer = offlineA2Schema.parse(
        await probe.timeout(30_000).emitWithAck('offline:R', { limit: 500 }),
      );
      pageSizes.push(Buffer.byteLength(JSON.stringify(answer)));
      more = answer.more;
    }
    const probeMs = performance.now() - probeStart;
    probe.close();

    // 1. Catch-up: the away device's engine comes back.
    const storage = new MemoryStorage();
    const device = new ImClient({
      url: server.url,
      token: away.token,
      userId: bob.userId,
      storage,
    });
    let received = 0;
    const done = new Promise<void>((resolve) =>
      device.events.on('message', () => {
        if (++received === COUNT) resolve();
      }),
    );
    const catchStart = performance.now();
    await device.start();
    await done;
    const catchMs = performance.now() - catchStart;
    await device.settled();
    device.close();

    // 2. Backfill: a device signed in for the first time scrolls back through everything.
    const fresh = await login(server.url, {
      username: 'bob',
      password: PASSWORD,
      deviceName: 'new',
    });
    const reader = await connect(server.url, fresh.token);
    const historySizes: number[] = [];
    let before: number | undefined;
    let seen = 0;
    const backStart = performance.now();
    for (;;) {
      const page = historyASchema.parse(
        await reader.timeout(30_000).emitWithAck('history:R', {
          conv,
          limit: HISTORY_MAX_LIMIT,
          ...(before ? { before } : {}),
        }),
      );
      historySizes.push(Buffer.byteLength(JSON.stringify(page)));
      seen += page.messages.length;
      before = page.messages[0]?.seq;
      if (!page.more) break;
    }
    const backMs = performance.now() - backStart;
    reader.close();

    const engineFresh = new ImClient({
      url: server.url,
      token: fresh.token,
      userId: bob.userId,
      storage: new MemoryStorage(),
    });
    const up = new Promise<void>((resolve) =>
      engineFresh.events.on('connection', (state) => state === 'connected' && resolve()),
    );
    await engineFresh.start();
    await up;
    await engineFresh.settled();
    const scrollStart = performance.now();
    let scrolled = 0;
    let cursor: { posA: number; posB: number; key: string } | undefined;
    for (;;) {
      const page = await engineFresh.history(conv, {
        limit: 100,
        ...(cursor ? { before: cursor } : {}),
      });
      if (page.length === 0) break;
      scrolled += page.length;
      const last = page[page.length - 1]!;
      cursor = { posA: last.posA, posB: last.posB, key: last.key };
    }
    const scrollMs = performance.now() - scrollStart;
    engineFresh.close();

    const lines = [
      `messages: ${COUNT} of ${BODY} characters, written in ${(writeMs / 1000).toFixed(1)} s`,
      `catch-up pages (offline:R limit 500): ${summary(pageSizes)}, pulled in ${probeMs.toFixed(0)} ms`,
      `catch-up by the engine (reconnect → all ${COUNT} stored and confirmed): ${catchMs.toFixed(0)} ms`,
      `backfill pages (history:R limit ${HISTORY_MAX_LIMIT}): ${summary(historySizes)}, ${seen} messages in ${backMs.toFixed(0)} ms`,
      `scrolling back through the engine (pages of 100, fetched as the cache runs out): ${scrolled} messages in ${scrollMs.toFixed(0)} ms`,
    ];
    for (const line of lines) process.stdout.write(`${line}\n`);
    if (received !== COUNT || seen !== COUNT || scrolled !== COUNT) {
      throw new Error(
        `incomplete: caught up ${received}, history ${seen}, scrolled ${scrolled} of ${COUNT}`,
      );
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
