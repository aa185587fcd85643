/** Writes generated benchmark output into a Markdown file, between two marker comments. */
import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';

/** The marker comments; everything between them belongs to the benchmark. */
export const MARKERS = {
  start: '<!-- bench:results:start -->',
  end: '<!-- bench:results:end -->',
} as const;

/**
 * Replaces what is between the markers in `file` with `markdown` (formatted
 * by Prettier, so that `npm run lint` stays clean); returns false and leaves
 * the file untouched when the markers are missing or out of order.
 */
export async function writeBetweenMarkers(file: string, markdown: string): Promise<boolean> {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(MARKERS.start);
  const end = text.indexOf(MARKERS.end);
  if (start < 0 || end < start) return false;
  const options = { ...(await resolveConfig(file)), parser: 'markdown' };
  const block = (await format(markdown, options)).trim();
  const next = `${text.slice(0, start + MARKERS.start.length)}\n\n${block}\n\n${text.slice(end)}`;
  writeFileSync(file, next);
  return true;
}
