/** One measured number of `npm run bench:client` (one table row, one JSON line). */
export interface ClientRow {
  /** What part of the client: bundle, open, scroll, memory, setup. */
  section: string;
  metric: string;
  value: number;
  unit: string;
  /** The target, in `unit`, when there is one. */
  target?: number;
  /** Whether `value` meets `target` (smaller is better unless `higherIsBetter`). */
  pass?: boolean;
  note?: string;
}

/** A row with a target: `pass` is computed from the value. */
export function judged(
  row: Omit<ClientRow, 'pass' | 'target'>,
  target: number,
  higherIsBetter = false,
): ClientRow {
  const pass = higherIsBetter ? row.value >= target : row.value <= target;
  return { ...row, target, pass };
}

/** The `q` quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Rounds for display: integers stay, small numbers keep two decimals. */
function shown(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 100 ? 2 : 1 });
}

/** The rows as a markdown table. */
export function markdownTable(rows: readonly ClientRow[]): string {
  const lines = [
    '| section | metric | value | unit | target | meets | note |',
    '| --- | --- | ---: | --- | ---: | --- | --- |',
  ];
  for (const r of rows) {
    const target = r.target === undefined ? '' : shown(r.target);
    const pass = r.pass === undefined ? '' : r.pass ? 'yes' : '**no**';
    const note = (r.note ?? '').replace(/\|/g, '\\|');
    lines.push(
      `| ${r.section} | ${r.metric} | ${shown(r.value)} | ${r.unit} | ${target} | ${pass} | ${note} |`,
    );
  }
  return lines.join('\n');
}
