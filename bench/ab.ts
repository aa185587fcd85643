/**
 * Before/after in one run: Tickline from this tree ("after") and from another
 * checkout ("before", e.g. a `git worktree` of an older commit with this
 * tree's node_modules linked in), driven alternately by the same raw load
 * client (bench/rawLoad.ts), so that what a change bought is a ratio measured
 * under the same machine conditions.
 *
 * `npx tsx bench/ab.ts --base DIR [--rounds 3] [--quick]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { registerMany, toPairs } from './accounts';
import { LoadWorker, runRaw, type RawSummary } from './loadPool';
import { startProcess, type Running } from './processes';
import type { Pair } from './protocol';
import { UNLIMITED_ARGS } from './unlimited';

const { values: flags } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
  },
});

/** One Tickline under test and the pairs its load uses. */
interface Side {
  name: 'before' | 'after';
  server: Running;
  pairs: Pair[];
  dataDir: string;
}

async function side(name: Side['name'], root: string | undefined, pairCount: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `tickline-ab-${name}-`));
  const server = await startProcess(
    ['server/cli.ts', '--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level'],
    { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' },
    { cwd: root, extraArgs: ['warn', ...UNLIMITED_ARGS] },
  );
  const pairs = toPairs(await registerMany(server.url, pairCount * 2, name.slice(0, 1)));
  return { name, server, pairs, dataDir } satisfies Side;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  if (!flags.base) throw new Error('--base DIR (the "before" checkout) is required');
  const rounds = Number(flags.rounds);
  const ms = flags.quick ? 1_500 : 4_000;
  const loads = [
    { label: 'throughput 20×10', pairs: 20, inFlight: 10 },
    { label: 'light 10×1', pairs: 10, inFlight: 1 },
  ];
  const sides = [await side('before', flags.base, 20), await side('after', undefined, 20)];
  const workers = [new LoadWorker(), new LoadWorker()];
  const results = new Map<string, RawSummary[]>();
  for (let r = 0; r < rounds; r++) {
    for (const load of loads) {
      // Alternate which goes first, so that neither always runs on a warmer machine.
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        const got = await runRaw(workers, s.server.pid, {
          target: 'tickline',
          url: s.server.url,
          pairs: s.pairs.slice(0, load.pairs),
          inFlight: load.inFlight,
          durationMs: ms,
          warmupMs: 300,
        });
        const key = `${load.label}|${s.name}`;
        results.set(key, [...(results.get(key) ?? []), got]);
        process.stderr.write(
          `  round ${r + 1} ${load.label} ${s.name}: ${got.perSecond.toFixed(0)} msg/s, ack:N p50 ${got.ack.p50.toFixed(2)} ms, msg:A p50 ${got.store.p50.toFixed(2)} ms, ${got.serverCpuUs.toFixed(0)} µs/msg, other ${got.otherCores.toFixed(2)} cores\n`,
        );
      }
    }
  }
  const lines = ['| load | metric | before | after | after ÷ before |', '|---|---|---|---|---|'];
  for (const load of loads) {
    const of = (name: string) => results.get(`${load.label}|${name}`)!;
    const metrics: [string, (x: RawSummary) => number][] = [
      ['delivered msg/s', (x) => x.perSecond],
      ['send → ack:N p50 ms', (x) => x.ack.p50],
      ['send → ack:N p99 ms', (x) => x.ack.p99],
      ['send → msg:A p50 ms', (x) => x.store.p50],
      ['server CPU µs / message', (x) => x.serverCpuUs],
    ];
    for (const [metric, pick] of metrics) {
      const b = median(of('before').map(pick));
      const a = median(of('after').map(pick));
      lines.push(
        `| ${load.label} | ${metric} (median of ${rounds}) | ${b.toFixed(2)} | ${a.toFixed(2)} | ${(a / b).toFixed(2)} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const w of workers) w.exit();
  for (const s of sides) {
    s.server.child.kill('SIGTERM');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`ab failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
