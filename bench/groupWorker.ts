/**
 * A worker of the group fan-out benchmark (bench/group.ts): runs the engines
 * of some of the group's members in its own process, records when each text
 * message of the group first reaches each of them, and counts their
 * Socket.IO packets. Driven by the orchestrator over IPC.
 */
import { ImClient } from '../client/imClient';
import { MemoryStorage } from '../client/memoryStorage';
import type { ConversationId, Session } from '../protocol';
import {
  PacketTap,
  wallNow,
  waitFor,
  type GroupWorkerCommand,
  type GroupWorkerResult,
  type PacketCounts,
} from './groupProtocol';

interface Member {
  client: ImClient;
  tap: PacketTap;
  /** `message` events per text message id. */
  shown: Map<string, number>;
  /** When each text message first reached this member. */
  at: Map<string, number>;
  /** The group's creation entry has reached it: it knows the group. */
  joined: boolean;
  /** Users `presence:N` reported online. */
  online: Set<string>;
  connects: number;
}

const members: Member[] = [];

function reply(result: GroupWorkerResult): void {
  process.send!(result);
}

async function start(url: string, sessions: Session[], conv: ConversationId): Promise<number> {
  for (const s of sessions) {
    const member: Member = {
      client: new ImClient({
        url,
        token: s.token,
        userId: s.userId,
        storage: new MemoryStorage(),
      }),
      tap: new PacketTap(),
      shown: new Map(),
      at: new Map(),
      joined: false,
      online: new Set(),
      connects: 0,
    };
    member.client.events.on('message', (m) => {
      if (m.conv !== conv) return;
      if (m.kind === 'system') {
        member.joined = true;
        return;
      }
      member.shown.set(m.id, (member.shown.get(m.id) ?? 0) + 1);
      if (!member.at.has(m.id)) member.at.set(m.id, wallNow());
    });
    member.client.events.on('presence', (p) => {
      if (p.online) member.online.add(p.userId);
      else member.online.delete(p.userId);
    });
    member.client.events.on('connection', (state) => {
      if (state === 'connected') member.connects++;
    });
    members.push(member);
  }
  await Promise.all(
    members.map(async (m) => {
      await m.client.start();
      m.tap.attach(m.client);
    }),
  );
  const up = await waitFor(
    () => members.every((m) => m.client.connection === 'connected' && m.joined),
    60_000,
  );
  if (!up) throw new Error('members did not all connect and learn of the group within 60 s');
  // Catch-up, conversation sync and backfill after connecting: let them finish.
  await Promise.all(members.map((m) => m.client.settled()));
  await waitFor(() => members.every((m) => m.tap.unanswered === 0), 30_000);
  return members.filter((m) => m.client.connection === 'connected').length;
}

/**
 * Waits until every member has had the `presence:N` batch that reported
 * `user` online (the last batch of the setup) and has no request in flight.
 */
async function quiet(user: string): Promise<boolean> {
  return waitFor(() => members.every((m) => m.online.has(user) && m.tap.unanswered === 0), 30_000);
}

function snapshot(): GroupWorkerResult {
  const packets: PacketCounts = {};
  const lastAt: PacketCounts = {};
  for (const m of members) {
    for (const [kind, n] of m.tap.counts) packets[kind] = (packets[kind] ?? 0) + n;
    for (const [kind, t] of m.tap.lastAt) lastAt[kind] = Math.max(lastAt[kind] ?? 0, t);
  }
  const cpu = process.cpuUsage();
  return {
    kind: 'snapshot',
    packets,
    lastAt,
    bytes: members.reduce((a, m) => a + m.tap.bytes, 0),
    cpuUs: cpu.user + cpu.system,
    reconnects: members.reduce((a, m) => a + Math.max(0, m.connects - 1), 0),
  };
}

async function collect(ids: string[], timeoutMs: number): Promise<GroupWorkerResult> {
  const complete = await waitFor(
    () => members.every((m) => ids.every((id) => m.at.has(id))),
    timeoutMs,
  );
  // The traffic of these messages ends with the last ack:A.
  await waitFor(() => members.every((m) => m.tap.unanswered === 0), timeoutMs);
  const wanted = new Set(ids);
  const received = new Map<string, number[]>(ids.map((id) => [id, []]));
  let missing = 0;
  let duplicated = 0;
  let unexpected = 0;
  for (const m of members) {
    for (const id of ids) {
      const at = m.at.get(id);
      if (at === undefined) missing++;
      else received.get(id)!.push(at);
    }
    for (const [id, n] of m.shown) {
      if (n > 1) duplicated += n - 1;
      if (!wanted.has(id)) unexpected++;
    }
  }
  return { kind: 'collected', complete, received, missing, duplicated, unexpected };
}

process.on('message', (command: GroupWorkerCommand) => {
  void (async () => {
    try {
      switch (command.cmd) {
        case 'start':
          return reply({
            kind: 'ready',
            connected: await start(command.url, command.members, command.conv),
          });
        case 'quiet':
          return reply({ kind: 'quiet', ok: await quiet(command.online) });
        case 'snapshot':
          return reply(snapshot());
        case 'collect':
          return reply(await collect(command.ids, command.timeoutMs));
        case 'exit':
          for (const m of members) m.client.close();
          process.exit(0);
      }
    } catch (error) {
      reply({
        kind: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});
