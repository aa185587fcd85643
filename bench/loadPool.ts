/**
 * The orchestrator's side of the load workers (bench/worker.ts): forking
 * them, splitting a load between them and adding up what they measured.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { cpuMs, machineBusyMs, own, ROOT } from './processes';
import type { Pair, RawLoad, RawResult, Target, WorkerCommand, WorkerResult } from './protocol';
import { latencySummary } from './stats';

/** One forked load worker, running one command at a time. */
export class LoadWorker {
  readonly child = own(
    fork(path.join(ROOT, 'bench/worker.ts'), [], {
      execArgv: [
        ...(process.env.BENCH_PROFILE_WORKERS
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_WORKERS}`]
          : []),
        '--import',
        'tsx',
      ],
      cwd: ROOT,
      serialization: 'advanced',
    }),
  );

  private onResult?: (r: WorkerResult) => void;
  private onReady?: () => void;

  constructor() {
    this.child.on('message', (r: WorkerResult) => {
      const handler = r.kind === 'ready' ? this.onReady : this.onResult;
      if (r.kind === 'ready') this.onReady = undefined;
      else this.onResult = undefined;
      handler?.(r);
    });
  }

  /** Sends `command` and resolves with the worker's answer (rejects on its error). */
  run(command: WorkerCommand & { expected?: number }): Promise<WorkerResult> {
    return new Promise((resolve, reject) => {
      this.onResult = (r) => (r.kind === 'error' ? reject(new Error(r.message)) : resolve(r));
      this.child.send(command);
    });
  }

  /** Resolves when the worker's raw load has connected and waits for {@link go}. */
  ready(): Promise<void> {
    return new Promise((resolve) => (this.onReady = resolve));
  }

  /** Starts the raw load the worker is holding. */
  go(): void {
    this.child.send({ cmd: 'go' } satisfies WorkerCommand);
  }

  /** Lets the worker close its connections and exit. */
  exit(): void {
    this.child.send({ cmd: 'exit' } satisfies WorkerCommand);
  }
}

/** Item i goes to share i mod n. */
export function split<T>(items: T[], n: number): T[][] {
  return Array.from({ length: n }, (_, w) => items.filter((_, i) => i % n === w));
}

/** What the engine load (Tickline's ImClient on both sides) measured. */
export async function runEngine(
  workers: LoadWorker[],
  url: string,
  pairs: Pair[],
  inFlight: number,
  durationMs: number,
  check = false,
) {
  const shares = split(pairs, workers.length);
  const results = (await Promise.all(
    workers.map((w, i) =>
      w.run({ cmd: 'pairs', url, pairs: shares[i]!, inFlight, durationMs, check }),
    ),
  )) as Extract<WorkerResult, { kind: 'pairs' }>[];
  const sum = (key: 'delivered' | 'lost' | 'duplicated' | 'undelivered') =>
    results.reduce((a, r) => a + r[key], 0);
  return {
    perSecond: sum('delivered') / (durationMs / 1000),
    ...latencySummary(results.flatMap((r) => r.latencies)),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    undelivered: sum('undelivered'),
  };
}

/** What a raw load measured, added up over the workers. */
export interface RawSummary {
  target: Target;
  pairs: number;
  inFlight: number;
  /** ack:N per second inside the window. */
  perSecond: number;
  /** ack:N received in all, warm-up and drain included. */
  answered: number;
  ack: ReturnType<typeof latencySummary>;
  store: ReturnType<typeof latencySummary>;
  ackLatencies: number[];
  /** Time until every socket of every worker was connected, ms (not part of the load). */
  connectMs: number;
  /** Server CPU time per answered message (warm-up and drain included), µs. */
  serverCpuUs: number;
  /** Server CPU time over the whole load, in cores (1 = one core busy all the time). */
  serverCores: number;
  /**
   * CPU the machine spent on anything but this server, the load workers and the orchestrator
   * during the load, in cores: other work on the machine that competed with the measurement.
   */
  otherCores: number;
  errors: number;
  offline: number;
  unanswered: number;
}

let runs = 0;

/** Runs the raw load client (bench/rawLoad.ts) on every worker against the server `pid`. */
export async function runRaw(
  workers: LoadWorker[],
  pid: number,
  load: Omit<RawLoad, 'runId'>,
): Promise<RawSummary> {
  const shares = split(load.pairs, workers.length);
  const runId = `${Date.now().toString(36)}${runs++}`;
  const ours = () =>
    cpuMs(pid) + workers.reduce((a, w) => a + cpuMs(w.child.pid!), 0) + cpuMs(process.pid);
  const connecting = performance.now();
  const ready = Promise.all(workers.map((w) => w.ready()));
  const running = Promise.all(
    workers.map((w, i) =>
      w.run({ cmd: 'raw', ...load, pairs: shares[i]!, runId: `${runId}w${i}` }),
    ),
  );
  // Every worker connects first; the load (and what is counted of it) starts on all at once.
  let started = false;
  const early = running.then(() => {
    if (!started) throw new Error('a raw load ended before it started');
  });
  early.catch(() => undefined); // a failure before the start rejects the race below
  await Promise.race([ready, early]);
  started = true;
  const connectMs = performance.now() - connecting;
  const cpu0 = cpuMs(pid);
  const ours0 = ours();
  const machine0 = machineBusyMs();
  const t0 = performance.now();
  for (const w of workers) w.go();
  const results = (await running) as RawResult[];
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(pid) - cpu0;
  const other = Math.max(0, machineBusyMs() - machine0 - (ours() - ours0));
  const sum = (key: 'delivered' | 'total' | 'errors' | 'offline' | 'unanswered') =>
    results.reduce((a, r) => a + r[key], 0);
  const ackLatencies = results.flatMap((r) => r.ackLatencies);
  return {
    target: load.target,
    pairs: load.pairs.length,
    inFlight: load.inFlight,
    perSecond: sum('delivered') / (load.durationMs / 1000),
    answered: sum('total'),
    connectMs,
    ack: latencySummary(ackLatencies),
    store: latencySummary(results.flatMap((r) => r.storeLatencies)),
    ackLatencies,
    serverCpuUs: (cpu * 1000) / Math.max(1, sum('total')),
    serverCores: cpu / wallMs,
    otherCores: other / wallMs,
    errors: sum('errors'),
    offline: sum('offline'),
    unanswered: sum('unanswered'),
  };
}
