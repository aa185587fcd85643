/**
 * One misbehaving user against the server's limits: `npx tsx bench/attack.ts
 * [--server-args="--rate-limit 0 --max-in-flight 0"]`.
 *
 * The im-server runs as a child process (`server/cli.ts`, a real SQLite
 * file), so the resident memory sampled is the server's alone. Attacks:
 * (a) 500 × 16 KB messages to one recipient, then 300 concurrent
 *     `offline:R {limit: 500}` from that recipient's connection;
 * (b) one user sending 5,000 messages in one burst, while another person
 *     sends one message a second to a third (their delivery time is printed).
 * During each the server's VmRSS (/proc/PID/status) is sampled every 10 ms
 * and `/healthz` is asked back to back (one request at a time). Prints peak RSS, max and p99 health
 * latency, and how many requests were accepted and refused (by code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import { register } from '../client/api';
import type { Session } from '../protocol';
import { percentile } from './stats';
import { connect } from './rawSocket';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { 'server-args': { type: 'string', default: '' } },
});
const SERVER_ARGS = values['server-args'].split(/\s+/).filter(Boolean);
const BODY_16K = 'x'.repeat(16_000);

interface Answer {
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
  messages?: unknown[];
}

/** Starts the server as a child process; resolves once it listens. */
function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    'server/cli.ts',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    dataDir,
    '--registration',
    'open',
  ];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...args, '--log-level', 'warn', ...SERVER_ARGS],
    {
      cwd: ROOT,
      env: { ...process.env, TICKLINE_INSECURE_SCRYPT_LOG2N: '10' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** The resident set of process `pid` in MiB. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Samples RSS every 10 ms and /healthz latency back to back (one probe at a time) until stopped. */
function sampler(url: string, pid: number) {
  const rss: number[] = [];
  const health: number[] = [];
  let failures = 0;
  let stopped = false;
  let probe: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (stopped) return;
    try {
      rss.push(rssMiB(pid));
    } catch (error) {
      failures++;
      console.error(`rss sample failed: ${String(error)}`);
    }
    if (probe) return; // the previous probe is still waiting: its latency will show it
    const started = performance.now();
    probe = fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) })
      .then((r) => r.json())
      .then(
        () => {
          health.push(performance.now() - started);
        },
        (error: unknown) => {
          failures++;
          console.error(`healthz failed: ${String(error)}`);
        },
      )
      .finally(() => (probe = undefined));
  }, 10);
  return {
    /** Stops sampling once the probe under way (if any) has its answer. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await probe;
      return {
        peakRssMiB: Math.max(...rss),
        healthMaxMs: Math.max(...health),
        healthP99Ms: percentile(health, 99),
        samples: health.length,
        failures,
      };
    },
  };
}

function ask(socket: Socket, event: string, payload: unknown): Promise<Answer> {
  return socket
    .timeout(120_000)
    .emitWithAck(event, payload)
    .catch((error: unknown) => ({ ok: false, error: { code: `no answer (${String(error)})` } }));
}

/** Counts answers by outcome: `ok` or the error code. */
function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.ok ? 'ok' : (a.error?.code ?? 'unknown');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function report(
  name: string,
  stats: Awaited<ReturnType<ReturnType<typeof sampler>['stop']>>,
  extra = '',
) {
  console.log(
    `${name}: peak RSS ${stats.peakRssMiB.toFixed(0)} MiB · /healthz max ${stats.healthMaxMs.toFixed(0)} ms, ` +
      `p99 ${stats.healthP99Ms.toFixed(0)} ms (${stats.samples} probes, ${stats.failures} failed)${extra}`,
  );
}

async function attackA(url: string, pid: number, sender: Session, recipient: Session) {
  const s = await connect(url, sender.token);
  const sampling = sampler(url, pid);
  let refusedFirst = 0;
  // 500 × 16 KB to one recipient who is offline, all at once.
  // All 500 are stored before the pulls: refused ones are sent again after
  // the retryAfterMs the server gave (the rate limit only spreads them out).
  const sent = await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const packet = { id: `big-${i}`, to: recipient.userId, body: BODY_16K };
      let answer = await ask(s, 'msg:R', packet);
      for (let n = 1; !answer.ok && answer.error?.retryAfterMs !== undefined; n++) {
        refusedFirst++;
        await new Promise((resolve) => setTimeout(resolve, answer.error!.retryAfterMs! * n));
        answer = await ask(s, 'msg:R', packet);
      }
      return answer;
    }),
  );
  const r = await connect(url, recipient.token);
  const pulls = await Promise.all(
    Array.from({ length: 300 }, () => ask(r, 'offline:R', { limit: 500 })),
  );
  const pulledMessages = pulls.reduce((n, a) => n + (a.messages?.length ?? 0), 0);
  const stats = await sampling.stop();
  report(
    '(a) 500 × 16 KB, then 300 × offline:R {limit:500}',
    stats,
    `\n    msg:R ${JSON.stringify(tally(sent))} (${refusedFirst} refusals waited out) · offline:R ${JSON.stringify(tally(pulls))}, ` +
      `${pulledMessages} messages (${((pulledMessages * 16_000) / 2 ** 20).toFixed(0)} MiB) served`,
  );
  s.close();
  r.close();
}

async function attackB(url: string, pid: number, flooder: Session, bob: Session, carol: Session) {
  const f = await connect(url, flooder.token);
  const b = await connect(url, bob.token);
  const c = await connect(url, carol.token);
  const arrived = new Map<string, number>();
  c.on('msg:N', (m: { id: string }) => arrived.set(m.id, performance.now()));
  const sampling = sampler(url, pid);
  const sentAt = new Map<string, number>();
  const bobAnswers: Promise<Answer>[] = [];
  let k = 0;
  const bystander = setInterval(() => {
    const id = `bob-${k++}`;
    sentAt.set(id, performance.now());
    bobAnswers.push(ask(b, 'msg:R', { id, to: carol.userId, body: 'hello carol' }));
  }, 100);
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: 5_000 }, (_, i) =>
      ask(f, 'msg:R', { id: `flood-${i}`, to: carol.userId, body: `flood ${i}` }),
    ),
  );
  const floodMs = performance.now() - started;
  clearInterval(bystander);
  await Promise.all(bobAnswers);
  // Let the pushes of bob's messages (answered already) reach carol.
  await new Promise((resolve) => c.timeout(5_000).emit('ping:R', {}, resolve));
  const stats = await sampling.stop();
  const latencies = [...sentAt].flatMap(([id, at]) => {
    const got = arrived.get(id);
    return got === undefined ? [] : [got - at];
  });
  report(
    '(b) one user sends 5,000 messages in a burst',
    stats,
    `\n    msg:R ${JSON.stringify(tally(answers))} in ${floodMs.toFixed(0)} ms · ` +
      `bystander: ${latencies.length}/${sentAt.size} delivered, max ${Math.max(...latencies).toFixed(0)} ms`,
  );
  f.close();
  b.close();
  c.close();
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tickline-attack-'));
  const { url, child } = await startServer(dataDir);
  console.log(
    `server pid ${child.pid} at ${url}${SERVER_ARGS.length ? ` (${SERVER_ARGS.join(' ')})` : ' (default limits)'}`,
  );
  try {
    const password = 'correct horse battery';
    const [mallory, victim, flooder, bob, carol] = await Promise.all(
      ['mallory', 'victim', 'flooder', 'bob', 'carol'].map((username) =>
        register(url, { username, password }),
      ),
    );
    console.log(`idle: RSS ${rssMiB(child.pid!).toFixed(0)} MiB`);
    await attackA(url, child.pid!, mallory!, victim!);
    await attackB(url, child.pid!, flooder!, bob!, carol!);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
