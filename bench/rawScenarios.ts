/**
 * The scenarios that compare the three servers with the raw load client:
 * 1 throughput, 2 light load, 6 the throughput-against-load curve.
 */
import { CONFIG, LIGHT_PAIRS, log, TARGETS, timed } from './config';
import { runRaw, type LoadWorker, type RawSummary } from './loadPool';
import type { Target } from './protocol';
import { otherCores, record } from './results';
import type { Servers } from './servers';
import { fmt } from './table';

/** One raw measurement per server. */
export type PerServer = Record<Target, RawSummary>;

async function rawAll(
  s: Servers,
  pairCount: number,
  inFlight: number,
  durationMs: number,
  warmupMs: number,
  workers: LoadWorker[],
): Promise<PerServer> {
  const out = {} as PerServer;
  for (const target of TARGETS) {
    const pairs = s.pairs[target].slice(0, pairCount);
    if (pairs.length < pairCount) throw new Error(`only ${pairs.length} ${target} pairs`);
    const r = await runRaw(workers, s[target].pid, {
      target,
      url: s[target].url,
      pairs,
      inFlight,
      durationMs,
      warmupMs,
    });
    out[target] = r;
    otherCores.push(r.otherCores);
    const store = target === 'relay' ? '' : `, msg:A p50 ${fmt(r.store.p50)}`;
    const odd = r.errors + r.offline + r.unanswered;
    log(
      `    ${target} ${pairCount}×${inFlight}: ${fmt(r.perSecond)} msg/s, ack:N p50 ${fmt(r.ack.p50)} p99 ${fmt(r.ack.p99)} ms${store}; server ${r.serverCores.toFixed(2)} cores, ${fmt(r.serverCpuUs)} µs/msg, other processes ${r.otherCores.toFixed(2)} cores; connecting took ${fmt(r.connectMs)} ms${odd ? ` — errors ${r.errors}, offline ${r.offline}, unanswered ${r.unanswered}` : ''}`,
    );
  }
  return out;
}

function rawRows(scenario: string, r: PerServer, light: boolean) {
  const { tickline: t, shape: s, relay: x } = r;
  if (!light) {
    const ratio = t.perSecond / s.perSecond;
    record({
      scenario,
      metric: 'delivered msg/s',
      tickline: t.perSecond,
      shape: s.perSecond,
      relay: x.perSecond,
      target: '≥ 0.8× shape',
      pass: ratio >= 0.8,
    });
  }
  for (const p of light ? (['p50', 'p99'] as const) : (['p50', 'p95', 'p99'] as const)) {
    const ratio = t.ack[p] / s.ack[p];
    const gated = light && p === 'p50';
    record({
      scenario,
      metric: `send → ack:N ${p} ms`,
      tickline: t.ack[p],
      shape: s.ack[p],
      relay: x.ack[p],
      ...(gated ? { target: '≤ 1.5× shape', pass: ratio <= 1.5 } : {}),
    });
  }
  for (const p of ['p50', 'p99'] as const)
    record({
      scenario,
      metric: `send → msg:A ${p} ms`,
      tickline: t.store[p],
      shape: s.store[p],
    });
  record({
    scenario,
    metric: 'server CPU µs / message',
    tickline: t.serverCpuUs,
    shape: s.serverCpuUs,
    relay: x.serverCpuUs,
  });
}

/** Scenario 1: `CONFIG.pairs` pairs × `CONFIG.inFlight` against each server. */
export async function throughputScenario(s: Servers, workers: LoadWorker[], rows: boolean) {
  const { pairs: P, inFlight: K } = CONFIG;
  log(`  1 throughput ${P}×${K}, raw clients:`);
  const r = await timed('1', () => rawAll(s, P, K, CONFIG.durationMs, CONFIG.warmupMs, workers));
  if (rows) rawRows(`1 throughput ${P}×${K}`, r, false);
  return r;
}

/** Scenario 2: `LIGHT_PAIRS` pairs × 1 in flight against each server. */
export async function lightScenario(s: Servers, workers: LoadWorker[]) {
  log(`  2 light ${LIGHT_PAIRS}×1, raw clients:`);
  const r = await timed('2', () =>
    rawAll(s, LIGHT_PAIRS, 1, CONFIG.lightMs, CONFIG.warmupMs, workers),
  );
  rawRows(`2 light ${LIGHT_PAIRS}×1`, r, true);
  return r;
}

/** Scenario 6: throughput at each size of `CONFIG.curve`; scenario 1 stands for its own size. */
export async function curveScenario(s: Servers, workers: LoadWorker[], scenario1?: PerServer) {
  const K = CONFIG.inFlight;
  log(`  6 curve, ${K} in flight per sender, raw clients:`);
  const points: RawSummary[] = [];
  await timed('6', async () => {
    for (const n of CONFIG.curve) {
      const point =
        n === CONFIG.pairs && scenario1
          ? scenario1
          : await rawAll(s, n, K, CONFIG.curveMs, CONFIG.curveWarmupMs, workers);
      points.push(...TARGETS.map((t) => point[t]));
      record({
        scenario: `6 curve ×${K}`,
        metric: `delivered msg/s at ${n} pair${n === 1 ? '' : 's'}`,
        tickline: point.tickline.perSecond,
        shape: point.shape.perSecond,
        relay: point.relay.perSecond,
      });
    }
  });
  return points;
}
