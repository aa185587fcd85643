/** The rows a run has measured so far: collected for the table, and printed as they come. */
import { flags, log } from './config';
import { fmt, withRatios, type Row } from './table';

/** Every row recorded, in order. */
export const rows: Row[] = [];
/** Adds a row and prints it (a JSON line with --json, else a progress line). */
export function record(row: Row) {
  rows.push(row);
  const r = withRatios(row);
  if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    const base = (name: string, v?: number, ratio?: number) =>
      v === undefined ? '' : `, ${name} ${fmt(v)} (${fmt(ratio)}×)`;
    const value = typeof r.tickline === 'number' ? fmt(r.tickline) : r.tickline;
    log(
      `  ${r.scenario} · ${r.metric}: tickline ${value}${base('shape', r.shape, r.vsShape)}${base('relay', r.relay, r.vsRelay)}`,
    );
  }
}

/** Cores other processes used during each raw run: how much the machine was shared. */
export const otherCores: number[] = [];

/** One line on how much other work competed with the raw runs (empty when none ran). */
export function contentionNote(): string {
  if (otherCores.length === 0) return '';
  const max = Math.max(...otherCores);
  const mean = otherCores.reduce((a, b) => a + b, 0) / otherCores.length;
  const verdict = max > 0.2 ? 'the machine was shared, the figures are not clean' : 'quiet';
  return `Other processes during the ${otherCores.length} raw runs: mean ${mean.toFixed(2)}, max ${max.toFixed(2)} cores (${verdict}).`;
}
