/**
 * Fan-out in a big group: `npm run bench:group [-- --members 200 --messages 100]`.
 *
 * The im-server runs as its own process (`server/cli.ts`, a real SQLite file
 * with synchronous=FULL in a temporary directory, removed at the end). The
 * members are registered (one device each); the sender, an engine
 * (`ImClient`, `MemoryStorage`) in this process, creates one group with all
 * the others in one `group:create` (the protocol takes up to
 * MAX_GROUP_MEMBERS - 1 others, so no `group:add` is needed). The other
 * members' engines run in two forked worker processes (bench/groupWorker.ts),
 * all connected and caught up before anything is measured. Then:
 * - A "paced": `--paced` messages (20), one every 250 ms: fan-out latency
 *   without load;
 * - B "burst": the remaining messages sent back to back without waiting.
 * Each worker records when every text message first reaches each engine
 * (`message` event); send and receive times are wall-clock times
 * (`performance.timeOrigin + performance.now()`), comparable across the
 * processes of one machine. A phase ends when the sender's engine shows every
 * message of it `delivered` (from `receipt:N`) and every member has all of
 * them. Fails (exit 1) when a member misses a message or shows one twice.
 *
 * Costs per message, over the two phases only (setup excluded): Socket.IO
 * packets counted at every engine (both directions, engine.io `message`
 * packets, by kind), the server process's CPU time and disk writes
 * (`/proc/<pid>/stat`, `/proc/<pid>/io` `write_bytes`), and rows in SQLite
 * (read-only, after the server has stopped). Prints one line per measurement.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { register } from '../client/api';
import { UNLIMITED_ARGS } from './unlimited';
import { ImClient } from '../client/imClient';
import { MemoryStorage } from '../client/memoryStorage';
import { MAX_GROUP_MEMBERS, type ConversationId, type Session } from '../protocol';
import {
  PacketTap,
  wallNow,
  waitFor,
  type GroupWorkerCommand,
  type GroupWorkerResult,
  type PacketCounts,
} from './groupProtocol';
import { percentile } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '200' },
    messages: { type: 'string', default: '100' },
    paced: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '250' },
  },
});
const MEMBERS = Number(values.members);
const MESSAGES = Number(values.messages);
const PACED = Math.min(Number(values.paced), MESSAGES);
const INTERVAL_MS = Number(values['interval-ms']);
const WORKERS = 2;
const TIMEOUT_MS = 120_000;
const CLOCK_TICKS = 100;
const BODY =
  'The quick brown fox jumps over the lazy dog; a typical short chat line of about 100 bytes.';

type Snapshot = Extract<GroupWorkerResult, { kind: 'snapshot' }>;
type Collected = Extract<GroupWorkerResult, { kind: 'collected' }>;

function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    'server/cli.ts',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    dataDir,
    ...UNLIMITED_ARGS,
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, '--log-level', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, TICKLINE_INSECURE_SCRYPT_LOG2N: '10' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** CPU time (ms) and bytes written to disk of a process, from /proc. */
function processCost(pid: number): { cpuMs: number; writeBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": the 3rd field of stat is the first here; utime is the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const writeBytes = Number(/^write_bytes:\s+(\d+)/m.exec(io)![1]);
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS, writeBytes };
}

class Worker {
  readonly child = fork(path.join(ROOT, 'bench/groupWorker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    cwd: ROOT,
    serialization: 'advanced',
  });
  run(command: GroupWorkerCommand): Promise<GroupWorkerResult> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (r: GroupWorkerResult) =>
        r.kind === 'error' ? reject(new Error(r.message)) : resolve(r),
      );
      this.child.send(command);
    });
  }
}

async function registerMany(url: string, n: number): Promise<Session[]> {
  const out: Session[] = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) =>
      register(url, { username: `g${stamp}_${i + k}`, password: 'benchmark password' }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** Everything counted at one moment: server, workers, the sender. */
interface Counters {
  server: { cpuMs: number; writeBytes: number };
  packets: Map<string, number>;
  bytes: number;
  /** CPU time of this process (the sender's engine) and of the workers (the members' engines). */
  senderCpuUs: number;
  workersCpuUs: number;
  reconnects: number;
  /** When the last ack:A reached a member's engine. */
  lastAckA: number;
}

const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
const per = (n: number, of: number) => {
  const v = n / of;
  return v === 0 ? '0' : v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : v.toFixed(0);
};
const triple = (xs: number[], ps: number[]) =>
  ps.map((p) => `p${p} ${ms(percentile(xs, p))} ms`).join(', ');

/** Packet kinds as the protocol names them, in the order of a message's life. */
const KINDS: [string, string][] = [
  ['out msg:R', 'msg:R'],
  ['in msg:A', 'msg:A'],
  ['in msg:N', 'msg:N'],
  ['out ack:R', 'ack:R'],
  ['in ack:A', 'ack:A'],
  ['in receipt:N', 'receipt:N'],
];

function packetLine(label: string, before: Counters, after: Counters, messages: number): string {
  const delta = new Map<string, number>();
  for (const [kind, n] of after.packets) {
    const d = n - (before.packets.get(kind) ?? 0);
    if (d > 0) delta.set(kind, d);
  }
  const total = [...delta.values()].reduce((a, b) => a + b, 0);
  const known = KINDS.map(([kind, name]) => `${name} ${per(delta.get(kind) ?? 0, messages)}`);
  const others = [...delta]
    .filter(([kind]) => !KINDS.some(([k]) => k === kind))
    .map(([kind, n]) => `${kind} ${per(n, messages)}`);
  const kib = (after.bytes - before.bytes) / messages / 1024;
  return (
    `${label}: Socket.IO packets per message ${per(total, messages)} ` +
    `(${known.join(', ')}; other ${others.length > 0 ? others.join(', ') : '0'}), ` +
    `${kib.toFixed(1)} KiB of payload per message`
  );
}

function costLine(label: string, before: Counters, after: Counters, messages: number): string {
  const cpu = after.server.cpuMs - before.server.cpuMs;
  const disk = after.server.writeBytes - before.server.writeBytes;
  const sender = (after.senderCpuUs - before.senderCpuUs) / 1000;
  const members = (after.workersCpuUs - before.workersCpuUs) / 1000;
  return (
    `${label}: server CPU ${ms(cpu / messages)} ms per message (${ms(cpu)} ms in all), ` +
    `server disk writes ${(disk / messages / 1024).toFixed(1)} KiB per message ` +
    `(${(disk / 1024 / 1024).toFixed(1)} MiB in all); CPU per message of the members' engines ` +
    `${ms(members / messages)} ms (workers), of the sender's ${ms(sender / messages)} ms (this process)`
  );
}

async function main(): Promise<void> {
  if (!(MEMBERS >= 2 && MEMBERS <= MAX_GROUP_MEMBERS)) {
    throw new Error(`--members must be from 2 to ${MAX_GROUP_MEMBERS}`);
  }
  if (!(MESSAGES >= 1 && PACED >= 0 && INTERVAL_MS >= 0)) throw new Error('bad options');
  const load = loadavg()[0]!;
  const dir = mkdtempSync(path.join(tmpdir(), 'tickline-group-'));
  const server = await startServer(dir);
  const pid = server.child.pid!;
  const workers: Worker[] = [];
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // ---- setup (not measured) ----------------------------------------------
    const setupStart = performance.now();
    const users = await registerMany(server.url, MEMBERS);
    const [me, ...others] = users as [Session, ...Session[]];
    const storage = new MemoryStorage();
    const sender = new ImClient({ url: server.url, token: me.token, userId: me.userId, storage });
    const senderTap = new PacketTap();
    const deliveredAt = new Map<string, number>();
    let senderConnects = 0;
    const online = new Set<string>();
    let lastOnline = '';
    sender.events.on('presence', (p) => {
      if (p.online) {
        online.add(p.userId);
        lastOnline = p.userId;
      } else online.delete(p.userId);
    });
    sender.events.on('status', (m) => {
      if ((m.status === 'delivered' || m.status === 'read') && !deliveredAt.has(m.id)) {
        deliveredAt.set(m.id, wallNow());
      }
    });
    sender.events.on('connection', (state) => {
      if (state === 'connected') senderConnects++;
    });
    await sender.start();
    senderTap.attach(sender);
    if (!(await waitFor(() => sender.connection === 'connected', 30_000))) {
      throw new Error('the sender did not connect');
    }
    const createStart = performance.now();
    const conv: ConversationId = await sender.createGroup(
      'bench',
      others.map((u) => u.userId),
    );
    const createMs = performance.now() - createStart;

    const connectStart = performance.now();
    for (let w = 0; w < WORKERS; w++) workers.push(new Worker());
    const ready = await Promise.all(
      workers.map((w, i) =>
        w.run({
          cmd: 'start',
          url: server.url,
          members: others.filter((_, k) => k % WORKERS === i),
          conv,
        }),
      ),
    );
    const connected = ready.reduce((a, r) => a + (r.kind === 'ready' ? r.connected : 0), 0);
    const connectMs = performance.now() - connectStart;
    await sender.settled();
    // The setup ends with the presence:N batch announcing the last member online.
    const othersOnline = () => others.every((u) => online.has(u.userId));
    if (!(await waitFor(othersOnline, 30_000))) throw new Error('presence:N never showed all');
    const quiet = await Promise.all(
      workers.map((w) => w.run({ cmd: 'quiet', online: lastOnline })),
    );
    if (!quiet.every((q) => q.kind === 'quiet' && q.ok)) throw new Error('the setup never ended');
    await waitFor(() => senderTap.unanswered === 0, 30_000);
    print(
      `group fan-out: ${MEMBERS} members (the sender here, ${others.length} engines in ${WORKERS} worker processes), ` +
        `${MESSAGES} messages of ${BODY.length + 4} bytes, server pid ${pid}, ${cpus().length} cores, load average ${load.toFixed(2)} before; setup ${((performance.now() - setupStart) / 1000).toFixed(1)} s ` +
        `(group:create with ${others.length} others ${ms(createMs)} ms, ${connected} engines connected and caught up in ${ms(connectMs)} ms)`,
    );

    const counters = async (): Promise<Counters> => {
      const snaps = (await Promise.all(
        workers.map((w) => w.run({ cmd: 'snapshot' })),
      )) as Snapshot[];
      const packets = new Map(senderTap.counts);
      const add = (p: PacketCounts) => {
        for (const [kind, n] of Object.entries(p)) packets.set(kind, (packets.get(kind) ?? 0) + n);
      };
      for (const s of snaps) add(s.packets);
      const cpu = process.cpuUsage();
      return {
        server: processCost(pid),
        packets,
        bytes: senderTap.bytes + snaps.reduce((a, s) => a + s.bytes, 0),
        senderCpuUs: cpu.user + cpu.system,
        workersCpuUs: snaps.reduce((a, s) => a + s.cpuUs, 0),
        reconnects: Math.max(0, senderConnects - 1) + snaps.reduce((a, s) => a + s.reconnects, 0),
        lastAckA: Math.max(0, ...snaps.map((s) => s.lastAt['in ack:A'] ?? 0)),
      };
    };

    const sentAt = new Map<string, number>();
    let index = 0;
    const sendOne = async (): Promise<string> => {
      const t = wallNow();
      const m = await sender.send(conv, `${String(index++).padStart(3, '0')} ${BODY}`);
      sentAt.set(m.id, t);
      return m.id;
    };
    /** Waits for a phase's end: delivered at the sender, on every member's engine, traffic over. */
    const finish = async (ids: string[]) => {
      if (!(await waitFor(() => ids.every((id) => deliveredAt.has(id)), TIMEOUT_MS))) {
        throw new Error(
          `after ${TIMEOUT_MS / 1000} s the sender shows ${ids.filter((id) => deliveredAt.has(id)).length} of ${ids.length} messages delivered`,
        );
      }
      const parts = (await Promise.all(
        workers.map((w) => w.run({ cmd: 'collect', ids, timeoutMs: TIMEOUT_MS })),
      )) as Collected[];
      await waitFor(() => senderTap.unanswered === 0, TIMEOUT_MS);
      const received = new Map<string, number[]>(ids.map((id) => [id, []]));
      for (const p of parts) for (const [id, at] of p.received) received.get(id)!.push(...at);
      return { received, parts };
    };
    const report = (
      label: string,
      ids: string[],
      received: Map<string, number[]>,
    ): { allMs: number[]; lastAt: number } => {
      const allMs: number[] = [];
      const everyone: number[] = [];
      let lastAt = 0;
      for (const id of ids) {
        const t0 = sentAt.get(id)!;
        const at = received.get(id)!;
        for (const t of at) allMs.push(t - t0);
        if (at.length > 0) {
          const last = Math.max(...at);
          everyone.push(last - t0);
          lastAt = Math.max(lastAt, last);
        }
      }
      print(
        `${label}: until every member has a message ${triple(everyone, [50, 95])}, max ${ms(Math.max(...everyone))} ms`,
      );
      print(
        `${label}: per delivery (${allMs.length} member × message pairs) ${triple(allMs, [50, 95, 99])}`,
      );
      const senderMs = ids.map((id) => deliveredAt.get(id)! - sentAt.get(id)!);
      print(
        `${label}: sender shows 'delivered' (receipt:N) after ${triple(senderMs, [50, 95])}, max ${ms(Math.max(...senderMs))} ms`,
      );
      return { allMs, lastAt };
    };

    // ---- A: paced ---------------------------------------------------------
    const c0 = await counters();
    const pacedIds: string[] = [];
    const pacedStart = performance.now();
    for (let i = 0; i < PACED; i++) {
      const wait = pacedStart + i * INTERVAL_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pacedIds.push(await sendOne());
    }
    const a = PACED > 0 ? await finish(pacedIds) : undefined;
    const c1 = await counters();
    if (a) report(`A paced (${PACED}, one per ${INTERVAL_MS} ms)`, pacedIds, a.received);

    // ---- B: burst ---------------------------------------------------------
    const burstIds: string[] = [];
    const burstN = MESSAGES - PACED;
    let lastBurstAt = 0;
    if (burstN > 0) {
      const firstSend = wallNow();
      for (let i = 0; i < burstN; i++) burstIds.push(await sendOne());
      const sendMs = wallNow() - firstSend;
      const b = await finish(burstIds);
      const label = `B burst (${burstN} back to back)`;
      const { allMs, lastAt } = report(label, burstIds, b.received);
      lastBurstAt = lastAt;
      const totalMs = lastAt - firstSend;
      print(
        `${label}: ${burstN} send() calls took ${ms(sendMs)} ms; first send → last message on the last device ${ms(totalMs)} ms, ` +
          `${Math.round(allMs.length / (totalMs / 1000))} deliveries (messages × members) per second`,
      );
    }
    const c2 = await counters();
    if (burstN > 0) {
      const label = `B burst (${burstN} back to back)`;
      const lastSend = sentAt.get(burstIds[burstIds.length - 1]!)!;
      const lastDelivered = Math.max(...burstIds.map((id) => deliveredAt.get(id)!));
      print(
        `${label}: last send → sender saw the last 'delivered' ${ms(lastDelivered - lastSend)} ms ` +
          `(the last message reached the last device at +${ms(lastBurstAt - lastSend)} ms, ` +
          `the server answered the last ack:R at +${ms(c2.lastAckA - lastSend)} ms)`,
      );
    }

    // ---- costs --------------------------------------------------------------
    if (PACED > 0) {
      print(packetLine('A paced', c0, c1, PACED));
      print(costLine('A paced', c0, c1, PACED));
    }
    if (burstN > 0) {
      print(packetLine('B burst', c1, c2, burstN));
      print(costLine('B burst', c1, c2, burstN));
    }
    print(packetLine('A+B', c0, c2, MESSAGES));
    print(costLine('A+B', c0, c2, MESSAGES));

    // ---- correctness ----------------------------------------------------------
    const allIds = [...pacedIds, ...burstIds];
    const checks = (await Promise.all(
      workers.map((w) => w.run({ cmd: 'collect', ids: allIds, timeoutMs: 1_000 })),
    )) as Collected[];
    const missing = checks.reduce((s, c) => s + c.missing, 0);
    const duplicated = checks.reduce((s, c) => s + c.duplicated, 0);
    const unexpected = checks.reduce((s, c) => s + c.unexpected, 0);
    let notDelivered = 0;
    for (const id of allIds) {
      const status = (await storage.get(`${me.userId}/${id}`))?.status;
      if (status !== 'delivered' && status !== 'read') notDelivered++;
    }
    const reconnects = c2.reconnects - c0.reconnects;
    print(
      `correctness: ${allIds.length * others.length - missing} of ${allIds.length * others.length} deliveries, ` +
        `${missing} missing, ${duplicated} shown twice, ${unexpected} unexpected; ` +
        `sender's storage: ${allIds.length - notDelivered} of ${allIds.length} delivered; ${reconnects} reconnects`,
    );

    for (const w of workers) w.child.send({ cmd: 'exit' } satisfies GroupWorkerCommand);
    sender.close();
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;

    // ---- rows -------------------------------------------------------------
    const db = new Database(path.join(dir, 'tickline.sqlite3'), { readonly: true });
    try {
      const count = (sql: string, ...params: unknown[]) =>
        db
          .prepare(sql)
          .pluck()
          .get(...params) as number;
      const messages = count('SELECT count(*) FROM messages');
      const text = count("SELECT count(*) FROM messages WHERE conv = ? AND kind = 'text'", conv);
      const deliveries = count('SELECT count(*) FROM deliveries WHERE conv = ?', conv);
      const acks = count('SELECT count(*) FROM device_acks');
      print(
        `SQLite: ${messages} messages rows (${text} text of the group), ${deliveries} deliveries rows of the group ` +
          `(${per(deliveries, text)} per message), ${acks} device_acks rows left (devices compact them when they disconnect)`,
      );
    } finally {
      db.close();
    }

    if (missing > 0 || duplicated > 0 || unexpected > 0 || notDelivered > 0) {
      throw new Error(
        `incorrect: ${missing} missing, ${duplicated} duplicated, ${unexpected} unexpected, ${notDelivered} not delivered at the sender`,
      );
    }
  } finally {
    for (const w of workers) if (w.child.connected) w.child.kill();
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
