import { nameKey } from '../../../protocol';
import type { LookAlikeKeys } from './lookAlike';

/** The parts of a person a shown name is made of. */
export interface NamedPerson {
  userId: string;
  username: string;
  displayName: string;
}

/**
 * The name to show for each person: the display name, or, where it looks
 * like someone else's, the display name with the username, e.g. "Alice
 * (@mallory)", so that nobody can pass for someone else. Names look alike
 * when they share a key of `keys` (the TR39 skeleton: "Аlice" with a
 * Cyrillic А, "AIice" with a capital I, "ALICE" all look like "Alice");
 * `'loading'` compares case-insensitively after NFC only, `'failed'` shows
 * every username.
 */
export function shownNames(
  people: readonly NamedPerson[],
  keys: LookAlikeKeys | 'loading' | 'failed',
): Map<string, string> {
  const keysOf = keys === 'loading' || keys === 'failed' ? (name: string) => [nameKey(name)] : keys;
  const perPerson = people.map((p) => keysOf(p.displayName).map((k, i) => `${i}:${k}`));
  const counts = new Map<string, number>();
  for (const own of perPerson) for (const k of own) counts.set(k, (counts.get(k) ?? 0) + 1);
  const shown = new Map<string, string>();
  people.forEach((p, i) => {
    const shared = keys === 'failed' || perPerson[i]!.some((k) => (counts.get(k) ?? 0) > 1);
    shown.set(p.userId, shared ? `${p.displayName} (@${p.username})` : p.displayName);
  });
  return shown;
}
