/**
 * A small, dependency-free line-chart writer: axes with ticks and grid
 * lines (linear, or logarithmic with 1-2-5 ticks), a title, axis labels, a
 * legend and optional horizontal guide lines. Output is a standalone SVG.
 */

/** One line of a chart: its name in the legend, its colour and its points [x, y]. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** An SVG stroke-dasharray, e.g. '6 3', so lines differ by more than colour. */
  dash?: string;
  /** Draw a dot at every point (for a few measured points; leave off for dense curves). */
  markers?: boolean;
}

/** What a line chart shows and how its axes are scaled. */
export interface LineChart {
  title: string;
  /** Lines of smaller text under the title. */
  subtitle?: string[];
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (ticks 1, 2, 5, 10, 20, …). */
  xLog?: boolean;
  /** y range; by default 0 up to the largest y, rounded up to a tick. */
  yMin?: number;
  yMax?: number;
  /** Ticks to use instead of computed ones. */
  xTicks?: number[];
  yTicks?: number[];
  /** Dashed horizontal lines with a label at the right end, e.g. p50 on a CDF. */
  yGuides?: { value: number; label: string }[];
  series: Series[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 72, right: 28, bottom: 58 };
/** Rough width of one character of 12 px text, for laying out the legend. */
const CHAR_PX = 6.8;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Rounds away floating-point noise (0.30000000000000004 → 0.3). */
function clean(v: number): number {
  return Number(v.toPrecision(6));
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1_000_000) return `${clean(v / 1_000_000)}M`;
  if (a >= 1_000) return `${clean(v / 1_000)}k`;
  return String(clean(v));
}

function niceStep(range: number, count: number): number {
  const raw = range / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * pow;
}

function linearTicks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo || 1, 5);
  const top = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= top + step * 1e-9; v += step) ticks.push(clean(v));
  return ticks;
}

function logTicks(lo: number, hi: number): number[] {
  const ticks = (mantissas: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of mantissas) {
        const v = clean(m * 10 ** e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    return out;
  };
  const dense = ticks([1, 2, 5]);
  return dense.length <= 12 ? dense : ticks([1]);
}

/** The 1-2-5 value at or below (down) or at or above (up) `v`. */
function logRound(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map((m) => m * 10 ** e);
  return up ? steps.find((s) => s >= v * (1 - 1e-9))! : [...steps].reverse().find((s) => s <= v)!;
}

/** Renders `chart` as a standalone SVG document. */
export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 440;
  const subtitle = chart.subtitle ?? [];
  const legendY = 48 + 16 * subtitle.length;
  const top = legendY + 22;
  const plot = {
    x: MARGIN.left,
    y: top,
    w: width - MARGIN.left - MARGIN.right,
    h: height - top - MARGIN.bottom,
  };
  const points = chart.series.flatMap((s) => s.points);
  const xs = points.map((p) => p[0]).filter((x) => !chart.xLog || x > 0);
  const ys = points.map((p) => p[1]).filter(Number.isFinite);

  let xLo = Math.min(...xs, chart.xLog ? Infinity : 0);
  let xHi = Math.max(...xs);
  if (!Number.isFinite(xLo) || !Number.isFinite(xHi)) [xLo, xHi] = [1, 10];
  if (chart.xLog) [xLo, xHi] = [logRound(xLo, false), logRound(xHi, true)];
  if (xHi <= xLo) xHi = xLo * (chart.xLog ? 10 : 1) + (chart.xLog ? 0 : 1);
  const yLo = chart.yMin ?? 0;
  const yTop = chart.yMax ?? Math.max(...ys, yLo + 1);
  const yTicks = chart.yTicks ?? linearTicks(yLo, yTop);
  const yHi = chart.yMax ?? Math.max(yTop, yTicks[yTicks.length - 1] ?? yTop);
  const xTicks = chart.xTicks ?? (chart.xLog ? logTicks(xLo, xHi) : linearTicks(xLo, xHi));

  // A little room around a log axis so points on the first and last tick are not on the frame.
  const pad = chart.xLog ? 0.03 * Math.log10(xHi / xLo) : 0;
  const sx = (x: number) =>
    chart.xLog
      ? plot.x +
        ((Math.log10(x) - Math.log10(xLo) + pad) / (Math.log10(xHi / xLo) + 2 * pad)) * plot.w
      : plot.x + ((x - xLo) / (xHi - xLo)) * plot.w;
  const sy = (y: number) => plot.y + plot.h - ((y - yLo) / (yHi - yLo)) * plot.h;
  const n = (v: number) => v.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}" ${FONT}>`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" font-size="16" font-weight="600" fill="#111">${escapeXml(chart.title)}</text>`,
  );
  subtitle.forEach((line, i) =>
    out.push(
      `<text x="${MARGIN.left}" y="${46 + 16 * i}" font-size="12" fill="#555">${escapeXml(line)}</text>`,
    ),
  );

  for (const t of yTicks) {
    const y = n(sy(t));
    out.push(
      `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${plot.x - 8}" y="${y}" font-size="11" fill="#444" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = n(sx(t));
    out.push(
      `<line x1="${x}" y1="${plot.y}" x2="${x}" y2="${plot.y + plot.h}" stroke="#e6e6e6"/>`,
      `<text x="${x}" y="${plot.y + plot.h + 18}" font-size="11" fill="#444" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#888"/>`,
    `<text x="${plot.x + plot.w / 2}" y="${height - 14}" font-size="12" fill="#222" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${plot.y + plot.h / 2}) rotate(-90)" font-size="12" fill="#222" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  for (const g of chart.yGuides ?? []) {
    const y = n(sy(g.value));
    out.push(
      `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="#999" stroke-dasharray="2 3"/>`,
      `<text x="${plot.x + plot.w - 4}" y="${Number(y) - 4}" font-size="10" fill="#666" text-anchor="end">${escapeXml(g.label)}</text>`,
    );
  }

  for (const s of chart.series) {
    const visible = s.points.filter(([x, y]) => (!chart.xLog || x > 0) && Number.isFinite(y));
    if (visible.length === 0) continue;
    const d = visible.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${n(sx(x))} ${n(sy(y))}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dash}/>`,
    );
    if (s.markers)
      for (const [x, y] of visible)
        out.push(`<circle cx="${n(sx(x))}" cy="${n(sy(y))}" r="3.5" fill="${s.color}"/>`);
  }

  // The legend: one row between the subtitle and the plot, so it never covers a line.
  let lx = plot.x;
  for (const s of chart.series) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<line x1="${lx}" y1="${legendY}" x2="${lx + 24}" y2="${legendY}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${legendY}" font-size="12" fill="#222" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
    lx += 30 + s.name.length * CHAR_PX + 22;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
