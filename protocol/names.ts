import { z } from 'zod';

/**
 * Characters no name may contain: controls (Cc), format characters (Cf: the
 * bidi overrides, isolates and marks U+202A–202E, U+2066–2069, U+200E/F,
 * U+061C, the zero-width U+200B–200D, U+2060, U+FEFF and the rest of Cf),
 * line and paragraph separators, and the invisible Hangul fillers.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/u;

/** The message every boundary answers for a name with a forbidden character. */
export const NAME_CHARACTERS_MESSAGE =
  'may not contain control, bidi-override, zero-width or other invisible characters';

/** True when `name` has none of the invisible or direction-changing characters. */
export function isCleanName(name: string): boolean {
  return !FORBIDDEN.test(name);
}

/**
 * A visible name: NFC-normalised, trimmed, `min`–`max` characters, refused
 * (`invalid_input`) when it holds a control, bidi or zero-width character.
 */
export function visibleNameSchema(min: number, max: number) {
  return z
    .string()
    .normalize('NFC')
    .trim()
    .min(min)
    .max(max)
    .refine(isCleanName, { message: NAME_CHARACTERS_MESSAGE });
}

/**
 * How two display names are compared for "the same name": NFC, then
 * case-folded (`toLocaleLowerCase` without a locale), trimmed.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}
