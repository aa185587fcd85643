/**
 * Two people chatting through the real client engine against a server in a
 * network namespace (test/support/netns.ts), and the exactly-once check
 * the network scenarios share.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ConnectionState, ImClient } from '../../client/imClient';
import type { Session } from '../../protocol';
import type { ChildServer } from '../support/childServer';
import { countIncoming, devices, newUser, until, type Devices } from '../support/clients';
import { cliHasFlag, createNetLab, type NetLab } from '../support/netns';

/** Retry policy the scenarios' server hands its clients (fast, with a long budget). */
export const POLICY: Policy = { ackTimeoutMs: 1_000, maxAttempts: 8 };

/** The retry policy flags of `server/cli.ts`. */
export interface Policy {
  ackTimeoutMs: number;
  maxAttempts: number;
}

/** One person on one device, with what their engine showed. */
export interface Person {
  name: string;
  session: Session;
  client: ImClient;
  storage: DexieStorage;
  /** Times each incoming message (by key) was emitted as `message`. */
  shown: Map<string, number>;
  /** Every connection state the engine announced, with `Date.now()`. */
  states: { state: ConnectionState; at: number }[];
}

/** A lab with a server in it and two connected people. */
export interface Chat {
  lab: NetLab;
  server: ChildServer;
  a: Person;
  b: Person;
  /** Closes the engines and destroys the lab (servers, namespace, veth, nft table). */
  close(): Promise<void>;
}

/**
 * Creates the lab, starts the server inside it (handing its clients
 * `policy`) and connects two people from the root namespace.
 */
export async function startChat(policy: Policy = POLICY): Promise<Chat> {
  const lab = createNetLab();
  let engines: Devices | undefined;
  try {
    const args = [
      '--log-level',
      'warn',
      '--client-ack-timeout-ms',
      String(policy.ackTimeoutMs),
      '--client-max-attempts',
      String(policy.maxAttempts),
    ];
    // Retransmissions after a reconnect come in bursts; a per-person rate
    // limit (when the server has one) would only slow the scenario down.
    if (cliHasFlag('--rate-limit')) args.push('--rate-limit', '0');
    const server = await lab.startServer(args, { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' });
    const list = devices(() => server.url);
    engines = list;
    const person = async (name: string): Promise<Person> => {
      const session = await newUser(server.url, name);
      const client = await list.engine(session);
      const states: Person['states'] = [{ state: client.connection, at: Date.now() }];
      client.events.on('connection', (state) => states.push({ state, at: Date.now() }));
      return {
        name,
        session,
        client,
        storage: list.storageOf(client),
        shown: countIncoming(client),
        states,
      };
    };
    const a = await person('ann');
    const b = await person('bob');
    return {
      lab,
      server,
      a,
      b,
      async close() {
        list.closeAll();
        await lab.destroy();
      },
    };
  } catch (error) {
    engines?.closeAll();
    await lab.destroy();
    throw error;
  }
}

/**
 * `from` sends `count` messages to `to`, one every `intervalMs` (the load's
 * shape, not a wait for anything); resolves with their ids in send order.
 */
export async function sendPaced(
  from: Person,
  to: Person,
  count: number,
  tag: string,
  intervalMs: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = await from.client.send(to.session.userId, `${tag} ${from.name} #${i}`);
    ids.push(m.id);
    if (i < count - 1) await delay(intervalMs);
  }
  return ids;
}

/** What one sender sent one receiver. */
export interface Sent {
  from: Person;
  to: Person;
  ids: string[];
}

async function outgoingDone(s: Sent): Promise<boolean> {
  for (const id of s.ids) {
    const m = await s.from.storage.get(`${s.from.session.userId}/${id}`);
    if (m?.status !== 'delivered' && m?.status !== 'read') return false;
  }
  return true;
}

async function incomingDone(s: Sent): Promise<boolean> {
  for (const id of s.ids) {
    if (!(await s.to.storage.get(`${s.from.session.userId}/${id}`))) return false;
  }
  return true;
}

/**
 * Waits until every message of `sent` is on its recipient's device and its
 * sender sees it delivered; resolves with how long that took.
 */
export async function allDelivered(
  people: Person[],
  sent: Sent[],
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  await until(
    people.map((p) => p.client),
    async () => {
      for (const s of sent) {
        if (!(await incomingDone(s)) || !(await outgoingDone(s))) return false;
      }
      return true;
    },
    `all ${sent.reduce((n, s) => n + s.ids.length, 0)} messages are delivered`,
    timeoutMs,
  );
  return Date.now() - started;
}

/**
 * Exactly once, in order: the recipient's engine showed each message once
 * and nothing else from the sender, and both people's logs of the
 * conversation hold each once, in the same `seq` order, 1, 2, 3… without
 * gaps, each sender's messages in the order they were sent.
 */
export async function expectExactlyOnce(sent: Sent[]): Promise<void> {
  // Everything one person sent the other, over all of `sent`, in send order.
  const pairs = new Map<string, Sent>();
  for (const s of sent) {
    const key = `${s.from.name}>${s.to.name}`;
    const pair = pairs.get(key) ?? { from: s.from, to: s.to, ids: [] };
    pair.ids.push(...s.ids);
    pairs.set(key, pair);
  }
  for (const { from, to, ids } of pairs.values()) {
    const prefix = `${from.session.userId}/`;
    const shown = [...to.shown].filter(([key]) => key.startsWith(prefix));
    expect(
      shown.filter(([, n]) => n !== 1),
      `${to.name} showed a message twice`,
    ).toEqual([]);
    expect(shown.map(([key]) => key).sort(), `what ${to.name} showed`).toEqual(
      ids.map((id) => prefix + id).sort(),
    );
    const logs: string[][] = [];
    for (const person of [from, to]) {
      const other = person === from ? to : from;
      const conv = person.client.conversationWith(other.session.userId);
      const log = (await person.storage.history(conv, { limit: 10_000 })).reverse();
      expect(new Set(log.map((m) => m.key)).size, `${person.name}'s log has a repeat`).toBe(
        log.length,
      );
      expect(
        log.map((m) => m.seq),
        `${person.name}'s log: seq 1, 2, 3… without gaps`,
      ).toEqual(log.map((_, i) => i + 1));
      logs.push(log.map((m) => m.key));
      const theirs = log.filter((m) => m.from === from.session.userId).map((m) => m.id);
      expect([...theirs].sort(), `${from.name}'s messages in ${person.name}'s log`).toEqual(
        [...ids].sort(),
      );
      // Each device's messages enter the log in the order it wrote them
      // (docs/PROTOCOL.md §4b): the same order on both sides.
      expect(theirs, `${from.name}'s messages in ${person.name}'s log, in the order sent`).toEqual(
        ids,
      );
    }
    expect(logs[1], 'both people hold the same log, in the same order').toEqual(logs[0]);
  }
}

/**
 * How long after `since` the person's engine first left `connected`
 * (undefined when it did not, up to `end`).
 */
export function detectedAfter(person: Person, since: number, end = Infinity): number | undefined {
  const left = person.states.find((s) => s.at >= since && s.at <= end && s.state !== 'connected');
  return left && left.at - since;
}

/** How many times the person's engine left `connected` after `since`. */
export function disconnects(person: Person, since: number): number {
  return person.states.filter(
    (s, i) =>
      s.at >= since && s.state !== 'connected' && person.states[i - 1]?.state === 'connected',
  ).length;
}
