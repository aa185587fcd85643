/**
 * Generates protocol/confusables.ts, the compact table of the TR39 skeleton
 * (protocol/skeleton.ts), from Unicode's confusables.txt:
 *
 *   npx tsx scripts/confusables.ts path/to/confusables.txt
 *
 * The file is https://www.unicode.org/Public/security/<version>/confusables.txt
 * (not kept in the repository: 745 kB). Only what the skeleton can meet is
 * kept: a source that NFD changes, or that is default-ignorable, is gone by
 * the time the table is read (skeleton steps 1 and 2), so it is left out.
 * Prototypes are stored in NFD (the skeleton ends with NFD anyway).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One line of confusables.txt: a source code point and its prototype. */
export interface Confusable {
  source: number;
  prototype: number[];
}

/** The mappings of confusables.txt (`XXXX ; YYYY ZZZZ ; MA # …`), and its version and date. */
export function parseConfusables(text: string): {
  version: string;
  date: string;
  entries: Confusable[];
} {
  const version = /^# Version: (\S+)/m.exec(text)?.[1];
  const date = /^# Date: (.+?),/m.exec(text)?.[1];
  if (!version || !date) throw new Error('not a confusables.txt: no "# Version:" or "# Date:"');
  const entries: Confusable[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9A-F]{4,6}) ;\t([0-9A-F ]+?) ;\tMA\b/.exec(line);
    if (!m) continue;
    entries.push({
      source: parseInt(m[1]!, 16),
      prototype: m[2]!.split(' ').map((h) => parseInt(h, 16)),
    });
  }
  return { version, date, entries };
}

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * The table as two ASCII strings: `sources`, the gaps between successive
 * source code points in base 36, space-separated; `prototypes`, each
 * source's prototype as its code points in base 36 joined by `.`,
 * space-separated in the same order.
 */
export function encodeConfusables(entries: readonly Confusable[]): {
  sources: string;
  prototypes: string;
  count: number;
} {
  const kept = entries
    .filter(({ source }) => {
      const c = String.fromCodePoint(source);
      return c.normalize('NFD') === c && !IGNORABLE.test(c);
    })
    .sort((a, b) => a.source - b.source);
  const gaps: string[] = [];
  const prototypes: string[] = [];
  let previous = 0;
  for (const { source, prototype } of kept) {
    gaps.push((source - previous).toString(36));
    previous = source;
    const nfd = String.fromCodePoint(...prototype).normalize('NFD');
    prototypes.push([...nfd].map((c) => c.codePointAt(0)!.toString(36)).join('.'));
  }
  return { sources: gaps.join(' '), prototypes: prototypes.join(' '), count: kept.length };
}

function main(file: string): void {
  const text = readFileSync(file, 'utf8');
  const { version, date, entries } = parseConfusables(text);
  const { sources, prototypes, count } = encodeConfusables(entries);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const out = `/**
 * The prototypes of Unicode's confusables.txt (UTS #39), version ${version}
 * (${date}, sha256 ${sha256.slice(0, 16)}…), ${count} of its
 * ${entries.length} mappings: the ones the skeleton can meet (see
 * scripts/confusables.ts, which generated this file; do not edit it). Data ©
 * Unicode, Inc., under the Unicode License v3
 * (https://www.unicode.org/license.txt). Encoded by \`encodeConfusables\`,
 * read by \`decodeConfusables\` (protocol/skeleton.ts).
 */

/** The version of confusables.txt this table comes from. */
export const CONFUSABLES_VERSION = '${version}';

/** Gaps between successive source code points, base 36, space-separated. */
export const CONFUSABLE_SOURCES =
  '${sources}';

/** Each source's prototype (NFD): code points in base 36 joined by '.', space-separated. */
export const CONFUSABLE_PROTOTYPES =
  '${prototypes}';
`;
  const target = path.resolve(import.meta.dirname, '../protocol/confusables.ts');
  writeFileSync(target, out);
  console.log(`${target}: version ${version}, ${count} of ${entries.length} mappings`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx scripts/confusables.ts path/to/confusables.txt');
    process.exit(2);
  }
  main(file);
}
