/** The benchmark's results table: rows, Tickline ÷ baseline ratios, Markdown. */

/** One line of results; `shape` and `relay` are the baselines' values of the same metric. */
export interface Row {
  scenario: string;
  metric: string;
  tickline: number | string;
  shape?: number;
  relay?: number;
  target?: string;
  pass?: boolean;
}

/** A row with Tickline ÷ shape and Tickline ÷ relay, where both values are numbers. */
export function withRatios(row: Row): Row & { vsShape?: number; vsRelay?: number } {
  const t = row.tickline;
  const ratio = (b: number | undefined) => (typeof t === 'number' && b ? t / b : undefined);
  return { ...row, vsShape: ratio(row.shape), vsRelay: ratio(row.relay) };
}

/** A number as the table shows it: integers as they are, else 2 decimals below 10, none above. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '';
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 0);
}

/** The rows as a Markdown table with padded columns. */
export function markdownTable(rows: Row[]): string {
  const header = [
    'scenario',
    'metric',
    'Tickline',
    'shape',
    'relay',
    'vs shape',
    'vs relay',
    'target',
    'result',
  ];
  const cells = rows.map((row) => {
    const r = withRatios(row);
    const ratio = (v: number | undefined) => (v === undefined ? '' : `${fmt(v)}×`);
    return [
      r.scenario,
      r.metric,
      typeof r.tickline === 'number' ? fmt(r.tickline) : r.tickline,
      fmt(r.shape),
      fmt(r.relay),
      ratio(r.vsShape),
      ratio(r.vsRelay),
      r.target ?? '',
      r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
