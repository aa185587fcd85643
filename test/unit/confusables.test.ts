/**
 * The confusables table of the skeleton: scripts/confusables.ts reads
 * Unicode's confusables.txt and writes protocol/confusables.ts, which
 * protocol/skeleton.ts reads back.
 */
import { describe, expect, it } from 'vitest';
import { CONFUSABLE_PROTOTYPES, CONFUSABLE_SOURCES } from '../../protocol/confusables';
import { decodeConfusables } from '../../protocol/skeleton';
import { encodeConfusables, parseConfusables } from '../../scripts/confusables';

/** A few lines in the shape of confusables.txt. */
const SAMPLE = [
  '# confusables.txt',
  '# Date: 2025-07-22, 05:49:37 GMT',
  '# Version: 17.0.0',
  '0410 ;\t0041 ;\tMA\t# ( А → A ) CYRILLIC CAPITAL LETTER A → LATIN CAPITAL LETTER A\t# ',
  '006D ;\t0072 006E ;\tMA\t# ( m → rn ) LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N\t# ',
  '1D400 ;\t0041 ;\tMA\t# ( 𝐀 → A ) MATHEMATICAL BOLD CAPITAL A → LATIN CAPITAL LETTER A\t# ',
  '00C5 ;\t0041 030A ;\tMA\t# ( Å → Å ) precomposed: NFD changes it, the skeleton never meets it\t# ',
  '2126 ;\t03A9 ;\tMA\t# ( Ω → Ω ) OHM SIGN: NFD makes it omega\t# ',
  '034F ;\t0020 ;\tMA\t# default-ignorable: removed before the table is read\t# ',
  '01C4 ;\t0044 017D ;\tMA\t# ( Ǆ → DŽ ) a prototype NFD splits\t# ',
  '',
  '# total: 7',
].join('\n');

describe('the confusables table', () => {
  it('reads the version, the date and every mapping line', () => {
    const parsed = parseConfusables(SAMPLE);
    expect(parsed.version).toBe('17.0.0');
    expect(parsed.date).toBe('2025-07-22');
    expect(parsed.entries).toHaveLength(7);
    expect(parsed.entries[1]).toEqual({ source: 0x6d, prototype: [0x72, 0x6e] });
  });

  it('keeps what the skeleton can meet, prototypes in NFD, and reads back the same', () => {
    const encoded = encodeConfusables(parseConfusables(SAMPLE).entries);
    expect(encoded.count).toBe(4);
    expect(/^[0-9a-z .]*$/.test(encoded.sources + encoded.prototypes)).toBe(true);
    const table = decodeConfusables(encoded.sources, encoded.prototypes);
    expect(Object.fromEntries(table)).toEqual({
      [0x6d]: 'rn',
      [0x1c4]: 'DZ\u030C',
      [0x410]: 'A',
      [0x1d400]: 'A',
    });
  });

  it('refuses a file that is not confusables.txt', () => {
    expect(() => parseConfusables('0410 ;\t0041 ;\tMA')).toThrow(/not a confusables.txt/);
    expect(() => decodeConfusables('1 2', '3')).toThrow(/lengths differ/);
  });

  it('the generated table reads back whole: ASCII only, one prototype per source', () => {
    expect(/^[0-9a-z ]*$/.test(CONFUSABLE_SOURCES)).toBe(true);
    const table = decodeConfusables(CONFUSABLE_SOURCES, CONFUSABLE_PROTOTYPES);
    expect(table.size).toBe(CONFUSABLE_SOURCES.split(' ').length);
    expect(table.get(0x410)).toBe('A');
    expect(table.get(0x49)).toBe('l'); // capital I
    for (const [source, prototype] of table) {
      const c = String.fromCodePoint(source);
      expect(c.normalize('NFD')).toBe(c);
      expect(prototype.normalize('NFD')).toBe(prototype);
    }
  });
});
