/**
 * Tickline benchmark: Tickline's reliable delivery side by side with a bare
 * Socket.IO relay, in one run on one machine. `npm run bench [-- --quick] [-- --json]`.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';
import { register } from '../client/api';
import { UNLIMITED_ARGS } from './unlimited';
import type { Session } from '../protocol';
import type { Pair, Target, WorkerCommand, WorkerResult } from './protocol';
import { latencySummary } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const QUICK = flags.quick;
const CONFIG = QUICK
  ? {
      pairs: 20,
      inFlight: 10,
      durationMs: 2_000,
      lightMs: 2_000,
      idle: 1_000,
      offline: 2_000,
      faultMs: 3_000,
    }
  : {
      pairs: 50,
      inFlight: 10,
      durationMs: 8_000,
      lightMs: 5_000,
      idle: 10_000,
      offline: 10_000,
      faultMs: 8_000,
    };
const WORKERS = 2;
const only = new Set((flags.only ?? '1,2,3,4,5').split(',').map(Number));

function log(line: string) {
  if (!flags.json) process.stderr.write(`${line}\n`);
}

// ---- processes --------------------------------------------------------

function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of each server process there.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

class Worker {
  readonly child = fork(path.join(ROOT, 'bench/worker.ts'), [], {
    execArgv: [
      ...(process.env.BENCH_PROFILE_WORKERS
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_WORKERS}`]
        : []),
      '--import',
      'tsx',
    ],
    cwd: ROOT,
    serialization: 'advanced',
  });
  run(command: WorkerCommand & { expected?: number }): Promise<WorkerResult> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (r: WorkerResult) =>
        r.kind === 'error' ? reject(new Error(r.message)) : resolve(r),
      );
      this.child.send(command);
    });
  }
}

async function registerMany(url: string, n: number, prefix: string): Promise<Session[]> {
  const out: Session[] = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) =>
      register(url, { username: `${prefix}${stamp}_${i + k}`, password: 'benchmark password' }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function fakeSessions(n: number, prefix: string): Session[] {
  return Array.from({ length: n }, (_, i) => ({
    userId: `${prefix}${i}`,
    username: `${prefix}${i}`,
    displayName: `${prefix}${i}`,
    token: '',
  }));
}

function toPairs(sessions: Session[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < sessions.length; i += 2)
    pairs.push({ a: sessions[i]!, b: sessions[i + 1]! });
  return pairs;
}

async function runPairs(
  workers: Worker[],
  target: Target,
  url: string,
  pairs: Pair[],
  inFlight: number,
  durationMs: number,
  check = false,
) {
  const shares = workers.map((_, w) => pairs.filter((_, i) => i % workers.length === w));
  const results = (await Promise.all(
    workers.map((w, i) =>
      w.run({ cmd: 'pairs', target, url, pairs: shares[i]!, inFlight, durationMs, check }),
    ),
  )) as Extract<WorkerResult, { kind: 'pairs' }>[];
  const latencies = results.flatMap((r) => r.latencies);
  const delivered = results.reduce((a, r) => a + r.delivered, 0);
  return {
    perSecond: delivered / (durationMs / 1000),
    ...latencySummary(latencies),
    lost: results.reduce((a, r) => a + r.lost, 0),
    duplicated: results.reduce((a, r) => a + r.duplicated, 0),
    undelivered: results.reduce((a, r) => a + r.undelivered, 0),
  };
}

// ---- scenarios ----------------------------------------------------------

interface Row {
  scenario: string;
  metric: string;
  tickline: number;
  relay?: number;
  ratio?: number;
  target: string;
  pass?: boolean;
}
const rows: Row[] = [];
function record(row: Row) {
  rows.push(row);
  if (flags.json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else
    log(
      `  ${row.scenario} · ${row.metric}: tickline ${fmt(row.tickline)}${row.relay !== undefined ? `, relay ${fmt(row.relay)}, ratio ${fmt(row.ratio!)}` : ''}`,
    );
}
function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 0);
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tickline-bench-'));
  const started = Date.now();
  const tick = await startProcess(
    [
      'server/cli.ts',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      dataDir,
      '--log-level',
      'warn',
      ...UNLIMITED_ARGS,
    ],
    { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' },
  );
  const relay = await startProcess(['bench/relay.ts']);
  const workers = Array.from({ length: WORKERS }, () => new Worker());
  log(
    `bench: tickline ${tick.url} (pid ${tick.child.pid}), relay ${relay.url} (pid ${relay.child.pid}), ${WORKERS} load workers${QUICK ? ', quick' : ''}`,
  );

  const users = await registerMany(tick.url, CONFIG.pairs * 2, 'b');
  const pairs = toPairs(users);
  const relayPairs = toPairs(fakeSessions(CONFIG.pairs * 2, 'r'));
  const s1 = `1 throughput ${CONFIG.pairs}×${CONFIG.inFlight}`;

  let baseline: Awaited<ReturnType<typeof runPairs>> | undefined;
  if (only.has(1) || only.has(3)) {
    const t = await runPairs(
      workers,
      'tickline',
      tick.url,
      pairs,
      CONFIG.inFlight,
      CONFIG.durationMs,
    );
    const r = await runPairs(
      workers,
      'relay',
      relay.url,
      relayPairs,
      CONFIG.inFlight,
      CONFIG.durationMs,
    );
    baseline = t;
    const ratio = t.perSecond / r.perSecond;
    record({
      scenario: s1,
      metric: 'delivered msg/s',
      tickline: t.perSecond,
      relay: r.perSecond,
      ratio,
      target: '≥ 0.6×',
      pass: ratio >= 0.6,
    });
    for (const p of ['p50', 'p95', 'p99'] as const) {
      record({
        scenario: s1,
        metric: `${p} ms`,
        tickline: t[p],
        relay: r[p],
        ratio: t[p] / r[p],
        target: '',
      });
    }
  }

  if (only.has(2)) {
    const lightT = await runPairs(
      workers,
      'tickline',
      tick.url,
      pairs.slice(0, 10),
      1,
      CONFIG.lightMs,
    );
    const lightR = await runPairs(
      workers,
      'relay',
      relay.url,
      relayPairs.slice(0, 10),
      1,
      CONFIG.lightMs,
    );
    const ratio = lightT.p50 / lightR.p50;
    record({
      scenario: '2 light 10×1',
      metric: 'p50 ms',
      tickline: lightT.p50,
      relay: lightR.p50,
      ratio,
      target: '≤ 1.5×',
      pass: ratio <= 1.5,
    });
    record({
      scenario: '2 light 10×1',
      metric: 'p99 ms',
      tickline: lightT.p99,
      relay: lightR.p99,
      ratio: lightT.p99 / lightR.p99,
      target: '',
    });
  }

  if (only.has(3)) {
    const n = CONFIG.idle;
    log(`  registering ${n} users for idle connections...`);
    const idleUsers = await registerMany(tick.url, n, 'i');
    const idleWorkers = Array.from({ length: 4 }, () => new Worker());
    const perConn = async (target: Target, url: string, pid: number, sessions: Session[]) => {
      const before = rssKb(pid);
      const shares = idleWorkers.map((_, w) =>
        sessions.filter((_, i) => i % idleWorkers.length === w),
      );
      const res = await Promise.all(
        idleWorkers.map((w, i) => w.run({ cmd: 'idle', target, url, sessions: shares[i]! })),
      );
      const connected = res.reduce((a, r) => a + (r.kind === 'idle' ? r.connected : 0), 0);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { connected, kb: (rssKb(pid) - before) / connected };
    };
    const t = await perConn('tickline', tick.url, tick.child.pid!, idleUsers);
    const withIdle = await runPairs(
      workers,
      'tickline',
      tick.url,
      pairs,
      CONFIG.inFlight,
      CONFIG.durationMs,
    );
    const r = await perConn('relay', relay.url, relay.child.pid!, fakeSessions(n, 'ri'));
    const s3 = `3 connections ${t.connected}`;
    record({
      scenario: s3,
      metric: 'server RSS KB / connection',
      tickline: t.kb,
      relay: r.kb,
      ratio: t.kb / r.kb,
      target: '≤ 40 KB',
      pass: t.kb <= 40,
    });
    record({
      scenario: s3,
      metric: 'throughput with them attached, msg/s',
      tickline: withIdle.perSecond,
      ratio: baseline ? withIdle.perSecond / baseline.perSecond : undefined,
      target: 'vs scenario 1',
    });
    for (const w of idleWorkers) w.child.send({ cmd: 'exit' });
  }

  if (only.has(4)) {
    const [sender, offline] = await registerMany(tick.url, 2, 'd');
    const n = CONFIG.offline;
    const socket = io(tick.url, {
      auth: { token: sender!.token },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, (_, k) =>
          socket.emitWithAck('msg:R', {
            id: `off${i + k}`,
            to: offline!.userId,
            body: `offline message ${i + k}`,
          }),
        ),
      );
    }
    socket.close();
    const r = (await workers[0]!.run({
      cmd: 'drain',
      url: tick.url,
      session: offline!,
      expected: n,
    })) as Extract<WorkerResult, { kind: 'drain' }>;
    record({
      scenario: `4 offline drain ${n}`,
      metric: 'seconds to pull and confirm',
      tickline: r.ms / 1000,
      target: '≤ 2 s',
      pass: r.received === n && r.ms <= 2_000,
    });
  }

  if (only.has(5)) {
    const proxy = fork(path.join(ROOT, 'bench/proxyWorker.ts'), [tick.url], {
      execArgv: ['--import', 'tsx'],
      cwd: ROOT,
    });
    const proxyUrl = await new Promise<string>((resolve) =>
      proxy.once('message', (m: { url: string }) => resolve(m.url)),
    );
    const setFaults = (dropRate: number, cutEveryMs: number) =>
      new Promise<number>((resolve) => {
        proxy.once('message', (m: { dropped: number }) => resolve(m.dropped));
        proxy.send({ dropRate, cutEveryMs, cutFraction: 0.05 });
      });
    const clean = await runPairs(
      workers,
      'tickline',
      proxyUrl,
      pairs,
      CONFIG.inFlight,
      CONFIG.faultMs,
      true,
    );
    await setFaults(0.05, 500);
    const faultyPromise = runPairs(
      workers,
      'tickline',
      proxyUrl,
      pairs,
      CONFIG.inFlight,
      CONFIG.faultMs,
      true,
    );
    // Faults stop when the load stops, so the drain can finish.
    await new Promise((resolve) => setTimeout(resolve, CONFIG.faultMs));
    const dropped = await setFaults(0, 0);
    const faulty = await faultyPromise;
    const s5 = '5 faults 5% drop + cuts';
    record({
      scenario: s5,
      metric: 'throughput vs fault-free (both via proxy)',
      tickline: faulty.perSecond,
      ratio: faulty.perSecond / clean.perSecond,
      target: '',
    });
    record({
      scenario: s5,
      metric: `lost / duplicated (${dropped} packets dropped)`,
      tickline: faulty.lost + faulty.duplicated + faulty.undelivered,
      target: '0 / 0',
      pass: faulty.lost === 0 && faulty.duplicated === 0 && faulty.undelivered === 0,
    });
    log(
      `    lost=${faulty.lost} duplicated=${faulty.duplicated} undelivered=${faulty.undelivered}`,
    );
    proxy.kill();
  }

  for (const w of workers) w.child.send({ cmd: 'exit' });
  tick.child.kill('SIGTERM');
  relay.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });

  if (!flags.json) {
    const header = '| scenario | metric | Tickline | relay | ratio | target | result |';
    const lines = rows.map(
      (r) =>
        `| ${r.scenario} | ${r.metric} | ${fmt(r.tickline)} | ${r.relay === undefined ? '' : fmt(r.relay)} | ${r.ratio === undefined ? '' : fmt(r.ratio)} | ${r.target} | ${r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL'} |`,
    );
    process.stdout.write(`${header}\n|---|---|---|---|---|---|---|\n${lines.join('\n')}\n`);
    process.stdout.write(`total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
