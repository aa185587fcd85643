import { afterAll, describe, expect, it } from 'vitest';
import type { DexieStorage } from '../../client/dexieStorage';
import type { ImClient } from '../../client/imClient';
import type { Session } from '../../protocol';
import { startChildServer, type ChildServer } from '../support/childServer';
import { countIncoming, newUser, startClient, storageFor } from '../support/clients';
import { createFaultProxy, type FaultProxy } from '../support/faultProxy';
import { checkHistory, type ReceivedRecord, type SentRecord } from '../support/historyChecker';
import { tempDir } from '../support/servers';

const CLIENTS = 20;
const MESSAGES = 2_000;
const DROP_RATE = 0.03;
const SEED = Number(process.env.HISTORY_SEED ?? 20261127);

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Peer {
  session: Session;
  storage: DexieStorage;
  client: ImClient;
  shown: Map<string, number>;
}

describe('history checker under random faults', () => {
  const tmp = tempDir();
  let server: ChildServer;
  let proxy: FaultProxy;
  const peers: Peer[] = [];

  afterAll(async () => {
    for (const p of peers) {
      p.client.close();
      p.storage.close();
    }
    await proxy?.close();
    await server?.stop();
    tmp.remove();
  });

  it(`${CLIENTS} clients, ${MESSAGES} messages, dropped packets, cut connections, a server kill: nothing lost or doubled`, async () => {
    const rand = prng(SEED);
    const args = ['--host', '127.0.0.1', '--data', tmp.dir, '--log-level', 'warn'];
    const policy = ['--client-ack-timeout-ms', '150', '--client-max-attempts', '6'];
    const env = { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' };
    server = await startChildServer([...args, ...policy, '--port', '0'], env);
    proxy = await createFaultProxy(server.url);

    const sessions = await Promise.all(
      Array.from({ length: CLIENTS }, () => newUser(server.url, 'h')),
    );
    for (const session of sessions) {
      const storage = storageFor(session);
      const client = await startClient(proxy.url, session, { storage });
      peers.push({ session, storage, client, shown: countIncoming(client) });
    }

    // Faults: every packet type may be dropped; connections are cut at random.
    proxy.rules.add(() => rand() < DROP_RATE);
    const cutter = setInterval(() => proxy.cutRandom(0.1, rand), 150);
    const started = Date.now();

    const sent: SentRecord[] = [];
    let killed = false;
    const perClient = MESSAGES / CLIENTS;
    for (let round = 0; round < perClient; round += 5) {
      await Promise.all(
        peers.map(async (p, i) => {
          for (let k = 0; k < 5; k++) {
            let j = Math.floor(rand() * (CLIENTS - 1));
            if (j >= i) j++;
            const to = peers[j]!.session.userId;
            const body = `m${round + k} from ${i} to ${j} ${rand().toString(36).slice(2)}`;
            const m = await p.client.send(to, body);
            sent.push({ from: p.session.userId, to, id: m.id, body });
          }
        }),
      );
      if (!killed && sent.length >= MESSAGES / 2) {
        killed = true;
        const port = server.port;
        await server.kill();
        server = await startChildServer([...args, ...policy, '--port', String(port)], env);
      }
    }

    // Drain: faults off; a user would press "Resend all" on anything that failed.
    clearInterval(cutter);
    proxy.rules.clear();
    const drainStart = Date.now();
    const undelivered = async () => {
      let n = 0;
      for (const p of peers) {
        n += (await p.storage.outgoingByStatus(['pending', 'sent', 'stored', 'failed'])).length;
      }
      return n;
    };
    let resent = 0;
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('drain did not finish in 60 s')), 60_000);
      const check = setInterval(() => {
        void (async () => {
          for (const p of peers) resent += await p.client.resendAllFailed();
          if ((await undelivered()) === 0) {
            clearInterval(check);
            clearTimeout(deadline);
            resolve();
          }
        })();
      }, 250);
    });
    for (const p of peers) await p.client.settled();

    const received = new Map<string, ReceivedRecord[]>();
    for (const p of peers) {
      const list: ReceivedRecord[] = [];
      for (const other of peers) {
        if (other === p) continue;
        const page = await p.client.history(p.client.conversationWith(other.session.userId), {
          limit: 100_000,
        });
        list.push(...page.filter((m) => m.direction === 'in'));
      }
      received.set(p.session.userId, list);
    }
    const shown = new Map(peers.map((p) => [p.session.userId, p.shown]));
    const report = checkHistory(sent, received, shown);
    const dropped = [...proxy.dropped.values()].reduce((a, b) => a + b, 0);
    console.log(
      `history checker (seed ${SEED}): sent=${report.sent} received=${report.received} ` +
        `lost=${report.lost} duplicated=${report.duplicated} unexpected=${report.unexpected} | ` +
        `packets dropped=${dropped} resent after failure=${resent} server kills=1 | ` +
        `load ${((drainStart - started) / 1000).toFixed(1)} s, drain ${((Date.now() - drainStart) / 1000).toFixed(1)} s`,
    );
    expect(report.sent).toBe(MESSAGES);
    expect(dropped).toBeGreaterThan(50);
    expect(report).toEqual({
      sent: MESSAGES,
      received: MESSAGES,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
  }, 120_000);
});
