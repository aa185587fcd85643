import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ImClient } from '../../client/imClient';
import type { StoredMessage } from '../../client/storage';
import {
  BACKFILL_PER_CONVERSATION,
  directConversationId,
  MAX_PAGE_BYTES,
  offlineA2Schema,
  type ConversationId,
  type Session,
} from '../../protocol';
import {
  connected,
  countIncoming,
  newDevice,
  newUser,
  scrollBack,
  startClient,
  storageFor,
  until,
} from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { ask, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

/** One signed-in device: its own session, its own local database, its own engine. */
interface Device {
  session: Session;
  storage: DexieStorage;
  client: ImClient;
  shown: Map<string, number>;
}

describe('several devices per person', () => {
  let server: Started;
  let proxy: FaultProxy;
  const devices: Device[] = [];

  beforeAll(async () => {
    server = await startServer({ clientPolicy: { ackTimeoutMs: 150, maxAttempts: 6 } });
    proxy = await createFaultProxy(server.url);
  });
  afterAll(async () => {
    for (const d of devices) {
      d.client.close();
      d.storage.close();
    }
    await proxy.close();
    await server.close();
  });

  async function device(session: Session, fresh = true, via = proxy.url): Promise<Device> {
    const s = fresh ? await newDevice(server.url, session) : session;
    const storage = storageFor(s, `tickline-${s.deviceId}`);
    const client = await startClient(via, s, { storage });
    const d = { session: s, storage, client, shown: countIncoming(client) };
    devices.push(d);
    return d;
  }

  const all = (d: Device, conv: ConversationId) => d.client.history(conv, { limit: 100_000 });
  const keys = (list: StoredMessage[]) => list.map((m) => m.key).reverse();

  it('every message once on every device of both people, in the same seq order everywhere', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const conv = directConversationId(alice.userId, bob.userId);
    const as = [await device(alice), await device(alice), await device(alice)];
    const bs = [await device(bob), await device(bob)];
    await Promise.all([...as, ...bs].map((d) => connected(d.client)));

    // Every device writes, all at once, a little of it across a cut connection.
    const perDevice = 12;
    const sent: StoredMessage[] = [];
    await Promise.all(
      [...as, ...bs].map(async (d, i) => {
        const to = d.session.userId === alice.userId ? bob.userId : alice.userId;
        for (let k = 0; k < perDevice; k++) {
          if (i === 0 && k === 6) proxy.cutAll();
          sent.push(await d.client.send(to, `device ${i} message ${k}`));
        }
      }),
    );
    const total = sent.length;
    const everyone = [...as, ...bs];
    await until(
      everyone.map((d) => d.client),
      async () => {
        for (const d of everyone) {
          const list = await all(d, conv);
          if (list.length !== total || list.some((m) => m.seq === undefined)) return false;
          if (list.some((m) => m.direction === 'out' && m.status !== 'delivered')) return false;
        }
        return true;
      },
      'every device has every message, sequenced and delivered',
    );

    const reference = keys(await all(as[0]!, conv));
    expect(new Set(reference).size).toBe(total);
    expect(new Set(reference)).toEqual(new Set(sent.map((m) => m.key)));
    for (const d of everyone) {
      const list = (await all(d, conv)).reverse();
      expect(list.map((m) => m.key)).toEqual(reference);
      expect(list.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      // Own messages (from any of the person's devices) are outgoing, the others incoming.
      for (const m of list) {
        expect(m.direction).toBe(m.from === d.session.userId ? 'out' : 'in');
      }
      // Shown once: what this device did not write itself arrived as exactly one event.
      const written = new Set(
        sent.filter((m) => d.client.userId === m.from && m.outbox).map((m) => m.key),
      );
      for (const m of list) {
        const mine = written.has(m.key) && (await d.storage.get(m.key))?.outbox === true;
        expect(d.shown.get(m.key) ?? 0, m.key).toBe(mine ? 0 : 1);
      }
    }
  });

  it('a device offline for 1,000 messages catches up in pages of at most 1 MiB; one that never returns holds nothing back', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const conv = directConversationId(alice.userId, bob.userId);
    const sender = await device(alice);
    const bob1 = await device(bob);
    const bob2 = await device(bob);
    // bob3 signs in and is never seen again.
    await newDevice(server.url, bob, 'lost phone');
    await Promise.all([sender, bob1, bob2].map((d) => connected(d.client)));
    bob2.client.close();

    const count = 1_000;
    const body = (i: number) => `${i} `.padEnd(3_000, 'catch-up ');
    const sent: StoredMessage[] = [];
    for (let i = 0; i < count; i += 100) {
      sent.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, j) => sender.client.send(bob.userId, body(i + j))),
        )),
      );
    }
    // bob1 has them all and every one is delivered: neither bob2 nor bob3 held anything back.
    await until(
      [sender.client, bob1.client],
      async () =>
        (await sender.storage.outgoingByStatus(['pending', 'sent', 'stored'])).length === 0 &&
        (await all(bob1, conv)).length === count,
      'bob1 has all and alice sees all delivered',
    );

    // What bob2's pages look like, measured on its own session.
    const probe = await rawConnect(server.url, bob2.session.token, 2);
    const sizes: number[] = [];
    for (let more = true; more;) {
      const answer = offlineA2Schema.parse(await ask(probe, 'offline:R', { limit: 500 }));
      sizes.push(Buffer.byteLength(JSON.stringify(answer)));
      more = answer.more;
      if (sizes.length > 50) break;
    }
    probe.close();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(sizes.length).toBeGreaterThanOrEqual(3);

    // bob2 comes back (same database, new engine): everything once, in order.
    const bob2again = await startClient(proxy.url, bob2.session, { storage: bob2.storage });
    const shownAgain = countIncoming(bob2again);
    devices.push({ ...bob2, client: bob2again, shown: shownAgain });
    const started = Date.now();
    await until(
      [bob2again],
      async () => (await all(bob2, conv)).length === count,
      'bob2 caught up',
    );
    console.log(
      `catch-up of ${count} messages of ~3 KB: ${Date.now() - started} ms, ` +
        `pages of ${sizes.map((s) => (s / 1024).toFixed(0)).join(', ')} KiB`,
    );
    await bob2again.settled();
    expect(keys(await all(bob2, conv))).toEqual(keys(await all(bob1, conv)));
    expect(shownAgain.size).toBe(count);
    expect([...shownAgain.values()].every((n) => n === 1)).toBe(true);
  });

  it('a new device gets the recent history of each conversation and older pages as it scrolls, without duplicates', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    const a = await device(alice);
    const b = await device(bob);
    const c = await device(carol);
    await Promise.all([a, b, c].map((d) => connected(d.client)));
    for (let i = 0; i < 130; i++) {
      await (i % 3 ? a : b).client.send(i % 3 ? bob.userId : alice.userId, `history ${i}`);
    }
    await c.client.send(alice.userId, 'carol says hi');
    await until(
      [a.client],
      async () =>
        (await a.storage.outgoingByStatus(['pending', 'sent', 'stored'])).length === 0 &&
        (await all(a, directConversationId(alice.userId, carol.userId))).length === 1,
      'all delivered',
    );

    const fresh = await device(alice);
    await connected(fresh.client);
    await fresh.client.settled();
    const withBob = directConversationId(alice.userId, bob.userId);
    const cached = await fresh.storage.history(withBob, { limit: 1_000 });
    expect(cached).toHaveLength(BACKFILL_PER_CONVERSATION);
    expect(cached.map((m) => m.seq)).toEqual(
      Array.from({ length: BACKFILL_PER_CONVERSATION }, (_, i) => 130 - i),
    );
    expect(
      await fresh.storage.history(directConversationId(alice.userId, carol.userId), { limit: 10 }),
    ).toHaveLength(1);
    // Scrolling up: pages come from the server once the cache runs out.
    const seen = (await scrollBack(fresh.client, withBob, 40)).map((m) => m.seq);
    expect(seen).toEqual(Array.from({ length: 130 }, (_, i) => 130 - i));
    expect((await fresh.client.conversations()).map((s) => s.peer).sort()).toEqual(
      [bob.userId, carol.userId].sort(),
    );
  });

  it('a new device that caught up on waiting messages still gets the whole history, in order, no holes', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const conv = directConversationId(alice.userId, bob.userId);
    // Alice's other device writes and reads nothing back; bob writes to her while
    // no device of hers has confirmed anything: those wait for her next device.
    const aliceElsewhere = await rawConnect(
      server.url,
      (await newDevice(server.url, alice)).token,
      2,
    );
    const bobSocket = await rawConnect(server.url, bob.token, 2);
    for (let i = 0; i < 120; i++) {
      const [from, to] = i % 3 === 0 ? [bobSocket, alice] : [aliceElsewhere, bob];
      await ask(from, 'msg:R', { id: `h${i}`, to: to.userId, body: `h${i}` });
    }
    aliceElsewhere.close();
    bobSocket.close();
    const fresh = await device(alice);
    await connected(fresh.client);
    await fresh.client.settled();
    // The list shows the conversation's real last message.
    const [summary] = await fresh.client.conversations();
    expect(summary?.last?.id).toBe('h119');
    // Scrolling back: every message once, in order, none missing between.
    const seen = (await scrollBack(fresh.client, conv, 30)).map((m) => m.id);
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `h${119 - i}`));
  });

  it('reading a conversation on one device clears its unread count on the others', async () => {
    const alice = await newUser(server.url, 'alice');
    const bob = await newUser(server.url, 'bob');
    const conv = directConversationId(alice.userId, bob.userId);
    const a = await device(alice);
    const b1 = await device(bob);
    const b2 = await device(bob);
    await Promise.all([a, b1, b2].map((d) => connected(d.client)));
    for (let i = 0; i < 3; i++) await a.client.send(bob.userId, `unread ${i}`);
    const unread = async (d: Device) => (await d.storage.conversation(conv))?.unread;
    await until(
      [b1.client, b2.client],
      async () => (await unread(b1)) === 3 && (await unread(b2)) === 3,
      'both see 3 unread',
    );
    await b1.client.markRead(conv);
    expect(await unread(b1)).toBe(0);
    await until([b2.client], async () => (await unread(b2)) === 0, 'b2 sees the read');
    // A device that signs in later starts from the same read position.
    const b3 = await device(bob);
    await connected(b3.client);
    await b3.client.settled();
    expect(await unread(b3)).toBe(0);
    await a.client.send(bob.userId, 'one more');
    await until([b3.client], async () => (await unread(b3)) === 1, 'b3 counts the new one');
  });

  it('lists devices, marks this one, and signs another out at once', async () => {
    const alice = await newUser(server.url, 'alice');
    const laptop = await device(alice);
    const phone = await device(alice);
    await Promise.all([laptop, phone].map((d) => connected(d.client)));
    const headers = { authorization: `Bearer ${laptop.session.token}` };
    const list = (await (await fetch(`${server.url}/api/devices`, { headers })).json()) as {
      devices: { deviceId: string; name: string; current: boolean; online: boolean }[];
    };
    // The registration itself was a device too (never connected).
    expect(list.devices).toHaveLength(3);
    expect(list.devices.filter((d) => d.current).map((d) => d.deviceId)).toEqual([
      laptop.session.deviceId,
    ]);
    expect(list.devices.find((d) => d.deviceId === phone.session.deviceId)).toMatchObject({
      online: true,
      name: 'another device',
    });
    const rejected = new Promise<void>((resolve) =>
      phone.client.events.on('session-rejected', () => resolve()),
    );
    const gone = await fetch(`${server.url}/api/devices/${phone.session.deviceId}`, {
      method: 'DELETE',
      headers,
    });
    expect(gone.status).toBe(200);
    await rejected;
    // Another person cannot sign my devices out.
    const mallory = await newUser(server.url, 'mallory');
    const denied = await fetch(`${server.url}/api/devices/${laptop.session.deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${mallory.token}` },
    });
    expect(denied.status).toBe(404);
    expect(laptop.client.connection).toBe('connected');
    // Renaming: my own device, not another person's, and only to a visible name.
    const rename = (id: string | undefined, name: unknown, token = laptop.session.token) =>
      fetch(`${server.url}/api/devices/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
    expect((await rename(laptop.session.deviceId, 'Work laptop')).status).toBe(200);
    expect((await rename(laptop.session.deviceId, 'x', mallory.token)).status).toBe(404);
    expect((await rename(laptop.session.deviceId, 'bad\u202ename')).status).toBe(400);
    const after = (await (await fetch(`${server.url}/api/devices`, { headers })).json()) as {
      devices: { deviceId: string; name: string }[];
    };
    expect(after.devices.find((d) => d.deviceId === laptop.session.deviceId)?.name).toBe(
      'Work laptop',
    );
  });
});
