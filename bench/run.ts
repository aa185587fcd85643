/**
 * Tickline benchmark: Tickline side by side with two baselines, in one run on
 * one machine — the "shape" server (bench/shape.ts: the contract's six
 * packets, no store) and a bare Socket.IO relay (bench/relay.ts: four
 * packets). Scenarios 1, 2 and 6 drive all three with the same raw
 * Socket.IO client (bench/rawLoad.ts); 3–5 are about Tickline alone.
 *
 * `npm run bench -- [--quick] [--json] [--only 1,2,3,4,5,6] [--write-docs [--docs-dir DIR]]
 * [--tickline-args='--flag value']`. Charts go to DIR/perf/ with --write-docs (DIR defaults
 * to docs/), else to $TMPDIR/tickline-bench/; --write-docs also puts the table between the
 * markers in DIR/PERFORMANCE.md.
 */
import { loadavg } from 'node:os';
import { CONFIG, flags, LIGHT_PAIRS, log, only, QUICK, timed, WORKERS } from './config';
import { LoadWorker, type RawSummary } from './loadPool';
import { writeCharts, writeDocs } from './output';
import { curveScenario, lightScenario, throughputScenario, type PerServer } from './rawScenarios';
import { contentionNote, record, rows } from './results';
import { startServers } from './servers';
import { markdownTable, type Row } from './table';
import { faultScenario, idleScenario, offlineScenario } from './ticklineScenarios';

async function main() {
  const started = Date.now();
  const most = Math.max(CONFIG.pairs, LIGHT_PAIRS, ...(only.has(6) ? CONFIG.curve : []));
  const s = await startServers(most);
  const workers = Array.from({ length: WORKERS }, () => new LoadWorker());
  log(
    `bench: tickline ${s.tickline.url} (pid ${s.tickline.pid}), shape ${s.shape.url} (pid ${s.shape.pid}), relay ${s.relay.url} (pid ${s.relay.pid}), ${WORKERS} load workers${QUICK ? ', quick' : ''}; load average ${loadavg()[0]!.toFixed(2)}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  let scenario1: PerServer | undefined;
  let light: PerServer | undefined;
  let curve: RawSummary[] = [];
  let withIdle: RawSummary | undefined;
  if (only.has(3)) withIdle = await timed('3', () => idleScenario(s, workers));
  if (only.has(1) || only.has(3)) scenario1 = await throughputScenario(s, workers, only.has(1));
  if (withIdle && scenario1)
    record({
      scenario: rows.find((r) => r.scenario.startsWith('3 '))!.scenario,
      metric: '… ÷ scenario 1 (run after them, none attached)',
      tickline: withIdle.perSecond / scenario1.tickline.perSecond,
    });
  if (only.has(2)) light = await lightScenario(s, workers);
  if (only.has(6)) curve = await curveScenario(s, workers, scenario1);
  if (only.has(4)) await timed('4', () => offlineScenario(s, workers));
  if (only.has(5)) await timed('5', () => faultScenario(s, workers));

  for (const w of workers) w.exit();
  s.stop();
  const seconds = (Date.now() - started) / 1000;
  const charts = writeCharts(curve, light);
  const table = markdownTable(byScenario(rows));
  if (!flags.json) {
    process.stdout.write(`${table}\ntotal ${seconds.toFixed(0)} s. ${contentionNote()}\n`);
    for (const c of charts) log(`chart: ${c}`);
  }
  if (flags['write-docs']) await writeDocs(table, charts, seconds, contentionNote());
  process.exit(0);
}

/** The rows in scenario order (scenario 3 runs first, on servers that have carried no load). */
function byScenario(all: Row[]): Row[] {
  const n = (r: Row) => Number.parseInt(r.scenario, 10);
  return [...all].sort((a, b) => n(a) - n(b));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
