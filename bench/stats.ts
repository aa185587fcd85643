/** Percentile `p` (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50 / p95 / p99 of latencies in ms. */
export function latencySummary(values: number[]) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** The empirical CDF of `values` up to `maxPercent`, as [value, percent] points (denser in the tail). */
export function cdf(values: number[], maxPercent = 99.9): [number, number][] {
  if (values.length === 0) return [];
  const sorted = Float64Array.from(values).sort();
  const percents: number[] = [];
  for (let p = 0; p < 99; p += 0.5) percents.push(p);
  for (let p = 99; p <= maxPercent + 1e-9; p += 0.1) percents.push(Math.min(p, maxPercent));
  return percents.map((p) => {
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return [sorted[rank]!, p];
  });
}
