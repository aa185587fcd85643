import { defineStore } from 'pinia';
import { ref } from 'vue';
import { z } from 'zod';
import { readStored, writeStored } from '../lib/persist';

/** Prefix of the localStorage keys of muted conversations. */
export const MUTES_KEY_PREFIX = 'tickline:mutes:';

/** The localStorage key of the muted conversations of one user on one server. */
export function mutesKey(scope: string): string {
  return `${MUTES_KEY_PREFIX}${scope}`;
}

/** What is stored under a mutes key: the muted contact-list entry ids. */
const StoredMutes = z.array(z.string());

/** Reads the muted entry ids of `scope` (an empty set when none or unreadable). */
function load(scope: string): Set<string> {
  const saved = StoredMutes.safeParse(readStored<unknown>(mutesKey(scope)));
  return new Set(saved.success ? saved.data : []);
}

/**
 * Conversations whose notifications (and sound) are off, per user on a
 * server: kept in localStorage under a key of that account, so a mute never
 * applies to another account signed in on the same browser.
 */
export const useMutesStore = defineStore('mutes', () => {
  /** `server|userId` of the signed-in user, or null when signed out. */
  const scope = ref<string | null>(null);
  const muted = ref(new Set<string>());

  /** Mutes are kept for `userId` on `serverUrl` from now on (null: signed out). */
  function use(serverUrl: string | null, userId?: string): void {
    scope.value = serverUrl === null ? null : `${serverUrl}|${userId ?? ''}`;
    muted.value = scope.value === null ? new Set() : load(scope.value);
  }

  /** Whether contact-list entry `entryId` is muted. */
  function isMuted(entryId: string): boolean {
    return muted.value.has(entryId);
  }

  /** Mutes or unmutes `entryId` (ignored while signed out). */
  function set(entryId: string, on: boolean): void {
    const current = scope.value;
    if (current === null) return;
    const next = new Set(muted.value);
    if (on) next.add(entryId);
    else next.delete(entryId);
    muted.value = next;
    writeStored(mutesKey(current), next.size === 0 ? undefined : [...next]);
  }

  /** Removes the signed-in user's mutes from this device (no other user's). */
  function forgetAll(): void {
    const current = scope.value;
    if (current === null) return;
    muted.value = new Set();
    writeStored(mutesKey(current), undefined);
  }

  return { scope, isMuted, set, use, forgetAll };
});
