import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { useDiagnosticsStore } from './diagnostics';

/** Prefix of the localStorage keys of drafts. */
export const DRAFT_KEY_PREFIX = 'tickline:draft:';

/** The localStorage key of one conversation's draft of one user on one server. */
export function draftKey(scope: string, entryId: string): string {
  return `${DRAFT_KEY_PREFIX}${scope}|${entryId}`;
}

/** The storage drafts are kept in (localStorage; absent in odd environments). */
function backing(): Storage | undefined {
  return typeof localStorage === 'undefined' ? undefined : localStorage;
}

/**
 * Unsent text of each conversation, per user on a server: kept in memory
 * and in localStorage (read synchronously, so switching conversations
 * never shows another conversation's draft, even for a moment), so a draft
 * survives a reload. An empty draft is removed.
 */
export const useDraftsStore = defineStore('drafts', () => {
  /** `server|userId` of the signed-in user, or null when signed out. */
  const scope = ref<string | null>(null);
  const texts = shallowRef(new Map<string, string>());
  const diagnostics = useDiagnosticsStore();

  /** Drafts are kept for `userId` on `serverUrl` from now on (null: signed out). */
  function use(serverUrl: string | null, userId?: string): void {
    scope.value = serverUrl === null ? null : `${serverUrl}|${userId ?? ''}`;
    texts.value = new Map();
  }

  /** The draft of contact-list entry `entryId` ('' when none). */
  function get(entryId: string): string {
    const current = scope.value;
    if (current === null) return '';
    const cached = texts.value.get(entryId);
    if (cached !== undefined) return cached;
    return backing()?.getItem(draftKey(current, entryId)) ?? '';
  }

  /** Sets (or, with '', clears) the draft of `entryId`. */
  function set(entryId: string, text: string): void {
    const current = scope.value;
    if (current === null) return;
    texts.value = new Map(texts.value).set(entryId, text);
    const key = draftKey(current, entryId);
    try {
      if (text === '') backing()?.removeItem(key);
      else backing()?.setItem(key, text);
    } catch (error) {
      // Storage full or blocked: the draft still lives in memory for this session.
      diagnostics.record('drafts', error);
    }
  }

  /** Removes every draft of the signed-in user on this device (no other user's). */
  function forgetAll(): void {
    const current = scope.value;
    if (current === null) return;
    texts.value = new Map();
    const store = backing();
    if (!store) return;
    const prefix = draftKey(current, '');
    const keys: string[] = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (key?.startsWith(prefix)) keys.push(key);
    }
    for (const key of keys) store.removeItem(key);
  }

  return { scope, get, set, use, forgetAll };
});
