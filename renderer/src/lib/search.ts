/**
 * Text folded for searching: case and accents ignored, so "unal" finds
 * "Ünal" and "jose" finds "José" (NFD, combining marks removed, lower case).
 */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** True when `query` (already folded) occurs in any of `fields`. */
export function matchesSearch(query: string, ...fields: (string | undefined)[]): boolean {
  return fields.some((field) => field !== undefined && foldForSearch(field).includes(query));
}
