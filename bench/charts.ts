/** The benchmark's two pictures: throughput against load, and the light-load latency CDF. */
import { lineChart, type Series } from './svg';
import type { RawSummary } from './loadPool';
import type { Target } from './protocol';
import { cdf } from './stats';

const LOOK: Record<Target, { name: string; color: string; dash?: string }> = {
  tickline: { name: 'Tickline', color: '#1f5fbf' },
  shape: { name: 'shape (six packets, no store)', color: '#d9730d', dash: '7 4' },
  relay: { name: 'relay (four packets)', color: '#2e8b3e', dash: '2 3' },
};
const TARGETS: Target[] = ['tickline', 'shape', 'relay'];

/** Delivered msg/s against the number of pairs (log x), one line per server. */
export function throughputCurveSvg(points: RawSummary[], subtitle: string[]): string {
  const series: Series[] = TARGETS.map((t) => ({
    ...LOOK[t],
    markers: true,
    points: points
      .filter((p) => p.target === t)
      .sort((a, b) => a.pairs - b.pairs)
      .map((p): [number, number] => [p.pairs, p.perSecond]),
  })).filter((s) => s.points.length > 0);
  const pairs = [...new Set(points.map((p) => p.pairs))].sort((a, b) => a - b);
  return lineChart({
    title: 'Throughput against load',
    subtitle,
    xLabel: 'pairs (sender + recipient), log scale',
    yLabel: 'delivered messages per second (ack:N at the sender)',
    xLog: true,
    xTicks: pairs,
    series,
  });
}

/** Cumulative share of messages against send → ack:N latency (log x), one line per server. */
export function latencyCdfSvg(latencies: Partial<Record<Target, number[]>>, subtitle: string[]) {
  const series: Series[] = TARGETS.filter((t) => (latencies[t]?.length ?? 0) > 0).map((t) => ({
    ...LOOK[t],
    points: cdf(latencies[t]!),
  }));
  return lineChart({
    title: 'Latency at light load, send → ack:N (relay: send → ack)',
    subtitle,
    xLabel: 'latency, ms (log scale)',
    yLabel: 'messages answered within, % (up to p99.9)',
    xLog: true,
    yMin: 0,
    yMax: 100,
    yTicks: [0, 20, 40, 60, 80, 100],
    yGuides: [
      { value: 50, label: 'p50' },
      { value: 99, label: 'p99' },
    ],
    series,
  });
}
