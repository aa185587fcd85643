import { z } from 'zod';

/**
 * Characters no name may contain anywhere: controls (Cc), format characters
 * (Cf: bidi overrides, isolates and marks, zero-width characters, tags…),
 * line and paragraph separators, surrogates (Cs: half a character), private
 * use (Co: no agreed look, each font draws its own or nothing) and the blank
 * U+2800 BRAILLE PATTERN BLANK, a symbol that shows nothing.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\u2800]/u;
/** Default-ignorable characters: drawn as nothing (U+034F, U+17B5, U+180B, U+3164, selectors…). */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
/** Space separators (Zs); only these two are allowed inside a name. */
const SPACE = /\p{Zs}/u;
const ALLOWED_SPACES = new Set([' ', '\u3000']);
const MARK = /\p{M}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const KEYCAP_BASE = /^[#*0-9]$/;
const IDEOGRAPH = /\p{Unified_Ideograph}/u;

/** The message every boundary answers for a name with a forbidden character. */
export const NAME_CHARACTERS_MESSAGE =
  'may not contain control, bidi-override, zero-width or other invisible characters';
/** The message for a space other than U+0020 or the ideographic space U+3000. */
export const NAME_SPACES_MESSAGE =
  'may contain no space other than a plain space (or an ideographic space)';
/** The message for a name that starts with a combining mark (or is nothing but marks). */
export const NAME_START_MESSAGE =
  'must start with a visible character, not a combining mark (nor be only marks and spaces)';

/**
 * Whether the default-ignorable `c` is a variation selector in its place:
 * U+FE0E/U+FE0F right after an emoji ("❤️"), U+FE0F in a keycap ("1️⃣"),
 * or an ideographic variation selector (U+E0100–U+E01EF) right after a CJK
 * ideograph (registered variants used in Japanese personal names).
 */
function isPlacedSelector(before: string | undefined, c: string, after: string | undefined) {
  if (before === undefined) return false;
  if (c === '\uFE0F' && KEYCAP_BASE.test(before)) return after === '\u20E3';
  if (c === '\uFE0E' || c === '\uFE0F') return PICTOGRAPH.test(before);
  const cp = c.codePointAt(0)!;
  return cp >= 0xe0100 && cp <= 0xe01ef && IDEOGRAPH.test(before);
}

/**
 * What is wrong with `name` as a visible name (one of the messages above),
 * or undefined when nothing is. `name` is taken as given (NFC and trimming
 * are the schema's); every code point is looked at.
 */
export function nameProblem(name: string): string | undefined {
  const chars = Array.from(name);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (FORBIDDEN.test(c)) return NAME_CHARACTERS_MESSAGE;
    if (IGNORABLE.test(c) && !isPlacedSelector(chars[i - 1], c, chars[i + 1]))
      return NAME_CHARACTERS_MESSAGE;
    if (SPACE.test(c) && !ALLOWED_SPACES.has(c)) return NAME_SPACES_MESSAGE;
  }
  const first = chars[0];
  if (first !== undefined && (MARK.test(first) || ALLOWED_SPACES.has(first)))
    return NAME_START_MESSAGE;
  return undefined;
}

/** True when `name` passes every rule of {@link nameProblem}. */
export function isCleanName(name: string): boolean {
  return nameProblem(name) === undefined;
}

/**
 * A visible name: NFC-normalised, trimmed, `min`–`max` characters, refused
 * (`invalid_input`, with the rule's message) when {@link nameProblem} finds
 * something: a hidden character, an odd space, or nothing visible.
 */
export function visibleNameSchema(min: number, max: number) {
  return z
    .string()
    .normalize('NFC')
    .trim()
    .min(min)
    .max(max)
    .superRefine((name, ctx) => {
      const message = nameProblem(name);
      if (message) ctx.addIssue({ code: 'custom', message });
    });
}

/**
 * How two display names are compared before the confusables table is
 * loaded (renderer/src/lib/lookAlike.ts): NFC, case-folded, trimmed. Once
 * loaded, `lookAlikeKeys` (protocol/skeleton.ts) compares them by their look.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}
