/**
 * The confusable skeleton of Unicode TR39 (UTS #39 §4), and the keys names
 * are compared by. Not exported from protocol/index.ts: the table is about
 * 12 kB gzipped, so the renderer loads this module on demand, outside its
 * first view (renderer/src/lib/lookAlike.ts).
 */
import { CONFUSABLE_PROTOTYPES, CONFUSABLE_SOURCES } from './confusables';

/** Reads the encoded table (see scripts/confusables.ts): source code point → prototype. */
export function decodeConfusables(sources: string, prototypes: string): Map<number, string> {
  const gaps = sources.split(' ');
  const protos = prototypes.split(' ');
  if (gaps.length !== protos.length) throw new Error('confusables table: lengths differ');
  const table = new Map<number, string>();
  let source = 0;
  gaps.forEach((gap, i) => {
    source += parseInt(gap, 36);
    const points = protos[i]!.split('.').map((p) => parseInt(p, 36));
    table.set(source, String.fromCodePoint(...points));
  });
  return table;
}

let table: Map<number, string> | undefined;

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The TR39 skeleton of `text`: NFD, default-ignorable characters removed,
 * each character replaced by its confusables.txt prototype, NFD again. Two
 * strings with the same skeleton look alike ("Аlice" with a Cyrillic А and
 * "Alice"; "AIice" with a capital I and "Alice"). Case is kept: it is part of
 * the shape.
 */
export function skeleton(text: string): string {
  table ??= decodeConfusables(CONFUSABLE_SOURCES, CONFUSABLE_PROTOTYPES);
  let out = '';
  for (const c of text.normalize('NFD').replace(IGNORABLE, '')) {
    out += table.get(c.codePointAt(0)!) ?? c;
  }
  return out.normalize('NFD');
}

/** `text` lower-cased, in NFD, runs of spaces made one (HTML shows them as one). */
function folded(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/ {2,}/g, ' ');
}

/**
 * The keys two display names are "the same" by when either is shared: the
 * skeleton of the name as written, case-folded ("AIice" = "Alice", "Аlice" =
 * "alice"), and the skeleton of the case-folded name ("ΑLICE" with a Greek
 * Α = "alice" as "ALICE" = "alice"). Trimmed first.
 */
export function lookAlikeKeys(name: string): [asWritten: string, caseless: string] {
  const trimmed = name.trim();
  return [folded(skeleton(trimmed)), folded(skeleton(folded(trimmed)))];
}
