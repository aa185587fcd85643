import { nameKey } from '../../../protocol';

/** The parts of a person a shown name is made of. */
export interface NamedPerson {
  userId: string;
  username: string;
  displayName: string;
}

/**
 * The name to show for each person: the display name, or, where two or more
 * people share it (case-insensitively, after NFC), the display name with the
 * username, e.g. "Alice (@mallory)", so that nobody can pass for someone else.
 */
export function shownNames(people: readonly NamedPerson[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const p of people) {
    const key = nameKey(p.displayName);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const shown = new Map<string, string>();
  for (const p of people) {
    const shared = (counts.get(nameKey(p.displayName)) ?? 0) > 1;
    shown.set(p.userId, shared ? `${p.displayName} (@${p.username})` : p.displayName);
  }
  return shown;
}
