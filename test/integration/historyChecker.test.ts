import { afterEach, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ImClient } from '../../client/imClient';
import type { OutStatus } from '../../client/status';
import type { StoredMessage } from '../../client/storage';
import type { ConversationId, Session } from '../../protocol';
import { startChildServer, type ChildServer } from '../support/childServer';
import {
  connected,
  fakeIndexedDb,
  newDevice,
  newUser,
  startClient,
  storageFor,
  until as untilEvent,
} from '../support/clients';
import { readDatabase } from '../support/dbSnapshot';
import { createFaultProxy } from '../support/faultProxy';
import {
  checkHistory,
  checkReceipts,
  type DeviceRecord,
  type LogRecord,
  type PeriodRecord,
  type SentRecord,
} from '../support/historyChecker';
import { tempDir } from '../support/servers';

const PEOPLE = 20;
/** `HISTORY_MESSAGES` gives a shorter (or longer) run, e.g. on a busy machine. */
const MESSAGES = Number(process.env.HISTORY_MESSAGES ?? 3_000);
const GROUPS = 10;
/** Of the messages, this share goes to groups. */
const GROUP_SHARE = 0.4;
const DROP_RATE = 0.03;
/** Messages a sender writes to a person whose devices are all closed, right before it crashes. */
const LAST_WORDS = 5;
/** Three seeds in CI; `HISTORY_SEEDS=1,2,3` replays others. */
const SEEDS = (process.env.HISTORY_SEEDS ?? '20261127,7,424242').split(',').map(Number);

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Device {
  name: string;
  person: number;
  session: Session;
  /** The name of its IndexedDB database. */
  dbName: string;
  storage: DexieStorage;
  client: ImClient;
  shown: Map<string, number>;
  written: Set<string>;
  gone: boolean;
}

/** Starts (or restarts, over the same local database) a device's engine. */
async function startEngine(url: string, d: Omit<Device, 'client'> & { client?: ImClient }) {
  const client = await startClient(url, d.session, { storage: d.storage });
  client.events.on('message', (m) => d.shown.set(m.key, (d.shown.get(m.key) ?? 0) + 1));
  return client;
}

/** Statuses of an outgoing message whose writer got msg:A for it. */
const PROMISED = new Set<OutStatus>(['sent', 'stored', 'delivered', 'read']);

/** Deletes a device's IndexedDB database (the storage must be closed). */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = fakeIndexedDb.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`));
  });
}

/**
 * Takes a device away for good: its engine stops, and what it wrote counts
 * as acknowledged exactly when its copy had got msg:A; with `destroy`, its
 * database is deleted too, so that only the server holds its messages.
 */
async function goneForGood(d: Device, sent: SentRecord[], destroy: boolean): Promise<void> {
  d.gone = true;
  d.client.close();
  const held = new Set((await d.storage.outgoingByStatus([...PROMISED])).map((m) => m.id));
  for (const r of sent) {
    if (r.from !== d.session.userId || !d.written.has(`${r.from}/${r.id}`)) continue;
    r.survivor = false;
    r.acknowledged = held.has(r.id);
  }
  if (destroy) {
    d.storage.close();
    await deleteDatabase(d.dbName);
  }
}

async function run(seed: number) {
  const workload = prng(seed);
  const faults = prng(seed ^ 0x5bd1e995);
  const tmp = tempDir();
  const args = ['--host', '127.0.0.1', '--data', tmp.dir, '--log-level', 'warn'];
  const policy = ['--client-ack-timeout-ms', '150', '--client-max-attempts', '6'];
  const env = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };
  let server: ChildServer = await startChildServer([...args, ...policy, '--port', '0'], env);
  const proxy = await createFaultProxy(server.url);
  const devices: Device[] = [];
  let cutter: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  /** Stops everything the run started, once (also when the test ends early, on a timeout). */
  const end = async () => {
    if (ended) return;
    ended = true;
    clearInterval(cutter);
    for (const d of devices) {
      d.client.close();
      d.storage.close();
    }
    await proxy.close();
    await server.stop();
    tmp.remove();
  };
  abandon.add(end);
  try {
    // People with one to three devices each, every device its own database.
    const people = await Promise.all(
      Array.from({ length: PEOPLE }, () => newUser(server.url, 'h')),
    );
    for (const [person, first] of people.entries()) {
      const count = 1 + Math.floor(workload() * 3);
      for (let k = 0; k < count; k++) {
        const session = k === 0 ? first : await newDevice(server.url, first, `device ${k}`);
        const dbName = `history-${seed}-${session.deviceId}`;
        const d = {
          name: `p${person}d${k}`,
          person,
          session,
          dbName,
          storage: storageFor(session, dbName),
          shown: new Map<string, number>(),
          written: new Set<string>(),
          gone: false,
        };
        devices.push({ ...d, client: await startEngine(proxy.url, d) });
      }
    }

    // Groups of 3 to 20 people, made by one of them (its admin).
    const groups: { conv: ConversationId; admin: number; members: Set<number> }[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const size = 3 + Math.floor(workload() * 18);
      const members = new Set<number>();
      while (members.size < size) members.add(Math.floor(workload() * PEOPLE));
      const admin = [...members][0]!;
      const creator = devices.find((d) => d.person === admin)!;
      const others = [...members].filter((p) => p !== admin).map((p) => people[p]!.userId);
      const conv = await creator.client.createGroup(`group ${g}`, others);
      groups.push({ conv, admin, members });
    }
    /**
     * A membership change through the faults, as a person would do it: again
     * until it goes through ("already so" counts as done), waiting for the
     * connection when it is down.
     */
    const change = async (admin: Device, op: (client: ImClient) => Promise<void>) => {
      const seen: string[] = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          return await op(admin.client);
        } catch (error) {
          const code = (error as { code?: string }).code;
          seen.push(code ?? String(error));
          if (code === 'invalid_input') return;
          if (code === 'offline') await connected(admin.client);
        }
      }
      throw new Error(
        `a membership change did not go through in 100 attempts: ${[...new Set(seen)].join(', ')}`,
      );
    };

    // Faults: every packet type may be dropped; connections are cut at random.
    proxy.rules.add(() => faults() < DROP_RATE);
    cutter = setInterval(() => proxy.cutRandom(0.1, faults), 150);
    const started = Date.now();

    const sent: SentRecord[] = [];
    const events: string[] = [];
    /** Records a fault or change, with when it happened (seconds into the load). */
    /** With `HISTORY_VERBOSE` set, prints how far the run got as it goes. */
    const progress = (what: string) => {
      const at = `${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`;
      if (process.env.HISTORY_VERBOSE) console.log(`seed ${seed}: ${at}`);
      return at;
    };
    const note = (what: string) => events.push(progress(what));
    /** The crashed sender's messages to the person who was away, and that person. */
    const lastWords: SentRecord[] = [];
    let awayPerson = -1;
    let stage = 0;
    let churned = 0;
    const live = () => devices.filter((d) => !d.gone);
    const perRound = 40;
    for (let round = 0; sent.length < MESSAGES; round++) {
      await Promise.all(
        Array.from({ length: perRound }, async () => {
          const pool = live();
          const d = pool[Math.floor(workload() * pool.length)]!;
          const mine = groups.filter((g) => g.members.has(d.person));
          let target: string;
          if (mine.length > 0 && workload() < GROUP_SHARE) {
            target = mine[Math.floor(workload() * mine.length)]!.conv;
          } else {
            let to = Math.floor(workload() * (PEOPLE - 1));
            if (to >= d.person) to++;
            target = people[to]!.userId;
          }
          const body = `r${round} ${d.name}→${target.slice(0, 12)} ${workload().toString(36).slice(2)}`;
          const record: SentRecord = {
            from: d.session.userId,
            to: target,
            id: '',
            body,
            acknowledged: false,
            survivor: true,
          };
          const m = await d.client.send(record.to, body);
          record.id = m.id;
          d.written.add(m.key);
          sent.push(record);
        }),
      );
      const done = sent.length / MESSAGES;
      if (round % 10 === 9) progress(`${sent.length} messages written`);
      if (churned < 2 && done >= (churned === 0 ? 1 / 4 : 3 / 4)) {
        // Membership changes while messages fly: someone removed, someone added, in 3 groups.
        churned++;
        for (const g of groups.slice(0, 3)) {
          const admin = live().find((d) => d.person === g.admin)!;
          const removable = [...g.members].filter((p) => p !== g.admin);
          const leaving = removable[Math.floor(workload() * removable.length)]!;
          g.members.delete(leaving);
          await change(admin, (c) => c.removeMembers(g.conv, [people[leaving]!.userId]));
          const outside = people.map((_, p) => p).filter((p) => !g.members.has(p) && p !== leaving);
          const joining = outside[Math.floor(workload() * outside.length)];
          if (joining === undefined) continue; // everyone is in it already
          g.members.add(joining);
          await change(admin, (c) => c.addMembers(g.conv, [people[joining]!.userId]));
        }
        note(`membership changes ${churned}`);
      }
      if (stage === 0 && done >= 1 / 3) {
        stage++;
        // A device restarts mid-way: same database, new engine.
        const d = live()[Math.floor(workload() * live().length)]!;
        d.client.close();
        d.client = await startEngine(proxy.url, d);
        note(`restarted ${d.name}`);
      } else if (stage === 1 && done >= 1 / 2) {
        stage++;
        // A sender crashes for good right after msg:A, to a person whose devices are all
        // closed, and the server is SIGKILLed: only the server's disk holds those messages.
        // Not a group admin's device (the admins make the membership changes); its person
        // keeps another device.
        const admins = new Set(groups.map((g) => g.admin));
        const crashable = live().filter(
          (d) => !admins.has(d.person) && live().filter((o) => o.person === d.person).length > 1,
        );
        const c = crashable[Math.floor(workload() * crashable.length)]!;
        const others = people.map((_, p) => p).filter((p) => p !== c.person);
        const away = others[Math.floor(workload() * others.length)]!;
        const awayDevices = live().filter((d) => d.person === away);
        for (const d of awayDevices) d.client.close();
        note(`p${away}'s ${awayDevices.length} device(s) closed`);
        const last: SentRecord[] = [];
        for (let i = 0; i < LAST_WORDS; i++) {
          const body = `last words ${i} of ${c.name} to p${away}`;
          const m = await c.client.send(people[away]!.userId, body);
          const record: SentRecord = {
            from: c.session.userId,
            to: people[away]!.userId,
            id: m.id,
            body,
            acknowledged: false,
            survivor: true,
          };
          c.written.add(m.key);
          sent.push(record);
          last.push(record);
        }
        // Until every one has its msg:A (a person would press "Resend" on a failure).
        await untilEvent(
          [c.client],
          async () => {
            let all = true;
            for (const r of last) {
              const m = await c.storage.get(`${r.from}/${r.id}`);
              if (m?.status === 'failed') await c.client.resend(r.id);
              if (!m?.status || !PROMISED.has(m.status)) all = false;
            }
            return all;
          },
          `${c.name}'s last words have their msg:A`,
        );
        await goneForGood(c, sent, true);
        note(`${c.name} crashed right after msg:A (its database deleted)`);
        lastWords.push(...last);
        const port = server.port;
        await server.kill();
        server = await startChildServer([...args, ...policy, '--port', String(port)], env);
        note('server SIGKILLed');
        // The recipient's engines start again over the same databases.
        for (const d of awayDevices) d.client = await startEngine(proxy.url, d);
        note(`p${away}'s devices reopened`);
        awayPerson = away;
      } else if (stage === 2 && done >= 2 / 3) {
        stage++;
        // A device gone for good; its person still has another one, which gets everything.
        // (Not a group admin's: the admins make the membership changes.)
        const admins = new Set(groups.map((g) => g.admin));
        const shared = live().filter(
          (d) => !admins.has(d.person) && live().filter((o) => o.person === d.person).length > 1,
        );
        const d = shared[Math.floor(workload() * shared.length)]!;
        await goneForGood(d, sent, false);
        note(`${d.name} gone for good`);
      }
    }

    // Drain: faults off; a person would press "Resend all" on anything that failed.
    clearInterval(cutter);
    proxy.rules.clear();
    const drainStart = Date.now();
    let resent = 0;
    /** A message to a group its writer was removed from meanwhile: refused for good, rightly. */
    const stranded = (d: Device, to: string) =>
      groups.some((g) => g.conv === to && !g.members.has(d.person));
    const quiet = async () => {
      for (const d of live()) {
        for (const m of await d.storage.outgoingByStatus(['failed'])) {
          if (stranded(d, m.to)) continue;
          if (await d.client.resend(m.id)) resent++;
        }
        const open = await d.storage.outgoingByStatus(['pending', 'sent', 'stored', 'failed']);
        if (open.some((m) => !(m.status === 'failed' && stranded(d, m.to)))) return false;
      }
      return true;
    };
    try {
      await until(quiet, 60_000, 'every outbox is empty');
      progress('every outbox empty');
    } catch (error) {
      for (const d of live()) {
        const open = await d.storage.outgoingByStatus(['pending', 'sent', 'stored', 'failed']);
        for (const m of open)
          console.log(
            d.name,
            d.person,
            d.client.connection,
            m.id,
            m.to,
            m.status,
            m.conv,
            m.seq,
            stranded(d, m.to),
          );
      }
      throw error;
    }
    let refused = 0;
    for (const d of live()) {
      for (const m of await d.storage.outgoingByStatus(['failed'])) {
        const record = sent.find((r) => r.id === m.id && r.from === d.session.userId);
        if (record) {
          record.survivor = false;
          refused++;
        }
      }
    }
    for (const r of sent) if (r.survivor) r.acknowledged = true;

    /** The server's logs and membership periods: the truth every device is held to. */
    const readTruth = (): { log: LogRecord[]; periods: PeriodRecord[] } =>
      readDatabase(tmp.dir, (db) => ({
        log: db
          .prepare(
            'SELECT conv, seq, sender AS "from", recipient AS "to", id, body, kind FROM messages ORDER BY conv, seq',
          )
          .all() as LogRecord[],
        periods: db
          .prepare(
            'SELECT conv, user_id AS user, from_seq AS "from", until_seq AS until FROM periods',
          )
          .all() as PeriodRecord[],
      }));
    // Every outbox is empty: the server's log is final. It must hold every message whose
    // writer got msg:A (the crashed sender's too) or that a surviving device wrote, once
    // each, nothing nobody sent, and each conversation numbered without gaps.
    const final = readTruth();
    const logCheck = checkHistory(sent, final.log, [], final.periods);
    expect(
      {
        dropped: logCheck.dropped,
        repeated: logCheck.repeated,
        phantom: logCheck.phantom,
        gaps: logCheck.gaps,
      },
      `the server's log against the ${sent.length} messages sent`,
    ).toEqual({ dropped: 0, repeated: 0, phantom: 0, gaps: 0 });
    const own = new Map<
      string,
      { device: string; status?: string; receipt?: StoredMessage['receipt'] }[]
    >();
    const snapshot = async (): Promise<DeviceRecord[]> => {
      own.clear();
      return Promise.all(
        live().map(async (d) => {
          const conversations = new Map<string, { key: string; body: string }[]>();
          for (const c of await d.storage.conversations()) {
            const list = (await d.storage.history(c.conv, { limit: 1_000_000 })).reverse();
            conversations.set(
              c.conv,
              list.map((m) => ({ key: m.key, body: m.body })),
            );
            for (const m of list) {
              if (m.direction !== 'out') continue;
              const copies = own.get(m.key) ?? [];
              copies.push({ device: d.name, status: m.status, receipt: m.receipt });
              own.set(m.key, copies);
            }
          }
          return {
            name: d.name,
            userId: d.session.userId,
            conversations,
            shown: d.shown,
            written: d.written,
          };
        }),
      );
    };
    // Every device catches up: pushes, its catch-up on reconnect, and the periodic pull.
    let truth = readTruth();
    let report = checkHistory(sent, truth.log, await snapshot(), truth.periods);
    await until(
      async () => {
        truth = readTruth();
        report = checkHistory(sent, truth.log, await snapshot(), truth.periods);
        return report.lost === 0;
      },
      60_000,
      'every device holds its conversations',
    );
    progress('every device caught up');
    // The crashed sender's last words, which only the server held, reached every device
    // of the person who was away.
    const away = people[awayPerson]?.userId;
    const missingLastWords = (await snapshot())
      .filter((d) => d.userId === away)
      .flatMap((d) => {
        const keys = new Set([...d.conversations.values()].flat().map((h) => h.key));
        return lastWords
          .filter((r) => !keys.has(`${r.from}/${r.id}`))
          .map((r) => `${d.name}: ${r.body}`);
      });

    // Now people read: each opens about half of their conversations on one of their devices.
    const reads = new Map<string, Map<string, number>>();
    for (const [p, person] of people.entries()) {
      const mineLive = live().filter((d) => d.person === p);
      const d = mineLive[Math.floor(workload() * mineLive.length)]!;
      for (const c of await d.storage.conversations()) {
        if (workload() < 0.5) continue;
        const lastSeq = (await d.storage.conversation(c.conv))?.lastSeq ?? 0;
        await d.client.markRead(c.conv);
        const mine = reads.get(person.userId) ?? new Map<string, number>();
        mine.set(c.conv, lastSeq);
        reads.set(person.userId, mine);
      }
    }
    // Every sender's devices end with what the recipients did: delivered to all, read where read.
    const statusesOf = (m: LogRecord) =>
      (own.get(`${m.from}/${m.id}`) ?? []).map((s) => ({ ...s, status: s.status }));
    let receipts = checkReceipts(truth.log, truth.periods, reads, statusesOf);
    await until(
      async () => {
        await snapshot();
        receipts = checkReceipts(truth.log, truth.periods, reads, statusesOf);
        return receipts.wrong === 0;
      },
      30_000,
      'every sender sees what the recipients did',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${receipts.examples.join('; ')}`);
    });
    const groupMessages = truth.log.filter((r) => r.conv.startsWith('g:') && r.kind !== 'system');
    const dropped = [...proxy.dropped.values()].reduce((a, b) => a + b, 0);
    console.log(
      `history checker (seed ${seed}): people=${PEOPLE} devices=${report.devices} ` +
        `conversations=${report.conversations} (groups=${GROUPS}, group messages=${groupMessages.length}) ` +
        `entries=${report.logged} held=${report.held} ` +
        `lost=${report.lost} duplicated=${report.duplicated} unexpected=${report.unexpected} ` +
        `misordered=${report.misordered} dropped=${report.dropped} repeated=${report.repeated} ` +
        `phantom=${report.phantom} gaps=${report.gaps} | faults: packets dropped=${dropped}, ` +
        `${events.join(', ')}, resent after failure=${resent}, refused after removal=${refused} | ` +
        `receipts: ${receipts.messages} messages, ${receipts.copies} sender copies, wrong=${receipts.wrong}, ` +
        `reads=${[...reads.values()].reduce((n, m) => n + m.size, 0)} | load ` +
        `${((drainStart - started) / 1000).toFixed(1)} s, drain ${((Date.now() - drainStart) / 1000).toFixed(1)} s`,
    );
    expect(sent.length).toBeGreaterThanOrEqual(MESSAGES);
    expect(report.devices).toBeGreaterThanOrEqual(PEOPLE);
    expect(dropped).toBeGreaterThan(50);
    expect(events).toHaveLength(8);
    expect(lastWords.map((r) => r.acknowledged)).toEqual(lastWords.map(() => true));
    expect(missingLastWords).toEqual([]);
    expect(groupMessages.length).toBeGreaterThan(MESSAGES * GROUP_SHARE * 0.5);
    expect(receipts.wrong).toBe(0);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      misordered: 0,
      dropped: 0,
      repeated: 0,
      phantom: 0,
      gaps: 0,
    });
    expect(report.logged).toBeGreaterThanOrEqual(sent.filter((r) => r.survivor).length);
  } finally {
    abandon.delete(end);
    await end();
  }
}

/** How to stop each run still going: a test that timed out leaves no server behind. */
const abandon = new Set<() => Promise<void>>();

/** Re-checks `check` until it holds (each check reads every device; no fixed sleep decides anything). */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('history checker under random faults, several devices per person', () => {
  afterEach(async () => {
    for (const end of abandon) await end();
    abandon.clear();
  });
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${PEOPLE} people with 1–3 devices, ${GROUPS} groups, ${MESSAGES} messages, dropped packets, cut connections, a server kill, a device restarted, a sender crashed right after msg:A to a person whose devices were closed, a device gone, membership changes: the server's log holds every acknowledged message once and nothing unsent; every device holds what its person may see once each, in seq order; every sender sees what the recipients did`, async () => {
      await run(seed);
      // 65–90 s per seed on 2 cores: 36 engines over fake-indexeddb in this process
      // (each received message also writes and later clears its pending ack).
    }, 240_000);
  }
});
