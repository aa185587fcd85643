import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { compareMessages, insertionIndex } from '../../../client/order';
import type { HistoryQuery, StoredMessage } from '../../../client/storage';
import type { ConversationId } from '../../../protocol';

/** Messages read per page (from local storage, or from the server when it runs out). */
export const PAGE_SIZE = 100;

/**
 * Opening a conversation loads older pages until its first unread message is
 * there, but no more than this many pages (then the divider is left out).
 */
export const MAX_UNREAD_PAGES = 20;

/** Source of history pages (the engine's `history`). */
export type HistorySource = (conv: ConversationId, query: HistoryQuery) => Promise<StoredMessage[]>;

/**
 * The open conversation: its messages in the server's order (by `seq`;
 * messages still being sent after the newest known one), each exactly once
 * (by key), loaded page by page and kept up to date by engine events.
 */
export const useConversationStore = defineStore('conversation', () => {
  const conv = ref<ConversationId | null>(null);
  /** Messages oldest first; replaced (never mutated) on every change, so props see it. */
  const messages = shallowRef<StoredMessage[]>([]);
  const index = new Map<string, StoredMessage>();
  const hasMore = ref(false);
  const loading = ref(false);
  /** The read position (`seq`) when the conversation was opened with unread messages. */
  const unreadAfter = ref<number | null>(null);
  let source: HistorySource | undefined;
  let generation = 0;
  /** The page being loaded, if any. */
  let inflight: Promise<void> | null = null;

  /** Number of messages loaded. */
  const count = computed(() => messages.value.length);

  /**
   * The first unread message (the first incoming one after the read position
   * at opening), once everything after that position is loaded; null when
   * there is none or it is not loaded yet.
   */
  const firstUnreadKey = computed(() => {
    const after = unreadAfter.value;
    if (after === null || !reachedReadPosition()) return null;
    const first = messages.value.find(
      (m) => m.direction === 'in' && m.seq !== undefined && m.seq > after,
    );
    return first?.key ?? null;
  });

  /** Everything after the opening read position is loaded. */
  function reachedReadPosition(): boolean {
    const after = unreadAfter.value;
    if (after === null || !hasMore.value) return true;
    const oldest = messages.value.find((m) => m.seq !== undefined);
    return oldest?.seq !== undefined && oldest.seq <= after;
  }

  /**
   * Opens conversation `id` and loads its newest page; with `readSeq` (its
   * read position while it has unread messages), older pages too, until the
   * first unread message is loaded (at most {@link MAX_UNREAD_PAGES}).
   */
  async function open(
    id: ConversationId | null,
    history?: HistorySource,
    readSeq: number | null = null,
  ): Promise<void> {
    generation++;
    const gen = generation;
    conv.value = id;
    source = history;
    unreadAfter.value = id === null ? null : readSeq;
    index.clear();
    messages.value = [];
    hasMore.value = id !== null;
    // A page still loading for the previous conversation is discarded when it arrives.
    loading.value = false;
    inflight = null;
    if (id === null) return;
    await loadOlder();
    for (let page = 1; page < MAX_UNREAD_PAGES && gen === generation; page++) {
      if (reachedReadPosition()) return;
      await loadOlder();
    }
  }

  /** Loads the page before the oldest loaded message (or waits for the one on its way). */
  function loadOlder(): Promise<void> {
    if (loading.value && inflight) return inflight;
    inflight = loadPage();
    return inflight;
  }

  async function loadPage(): Promise<void> {
    const current = conv.value;
    if (!current || !source || loading.value || !hasMore.value) return;
    const gen = generation;
    loading.value = true;
    try {
      const oldest = messages.value[0];
      const page = await source(current, {
        limit: PAGE_SIZE,
        ...(oldest ? { before: { posA: oldest.posA, posB: oldest.posB, key: oldest.key } } : {}),
      });
      if (gen !== generation) return;
      hasMore.value = page.length === PAGE_SIZE;
      // Events may have delivered newer versions meanwhile: keep those.
      const fresh = page.filter((m) => !index.has(m.key)).reverse();
      if (fresh.length === 0) return;
      for (const m of fresh) index.set(m.key, m);
      const list = messages.value;
      if (list.length === 0 || compareMessages(fresh[fresh.length - 1]!, list[0]!) < 0) {
        messages.value = [...fresh, ...list];
      } else {
        const next = list.slice();
        for (const m of fresh) next.splice(insertionIndex(next, m), 0, m);
        messages.value = next;
      }
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /**
   * Adds or updates one message of the open conversation. A message already
   * shown is replaced, never shown twice; it moves when its place changed
   * (its `seq` arrived).
   */
  function upsert(m: StoredMessage): void {
    if (m.conv !== conv.value) return;
    const list = messages.value;
    const existing = index.get(m.key);
    if (existing) {
      const guess = insertionIndex(list, existing);
      const at = list[guess] === existing ? guess : list.indexOf(existing);
      index.set(m.key, m);
      if (at < 0) return;
      const next = list.slice();
      if (compareMessages(existing, m) === 0) {
        next[at] = m;
      } else {
        next.splice(at, 1);
        next.splice(insertionIndex(next, m), 0, m);
      }
      messages.value = next;
      return;
    }
    // Older than what is loaded while older pages remain: it comes with its page.
    const first = list[0];
    if (hasMore.value && first && compareMessages(m, first) < 0) return;
    index.set(m.key, m);
    const next = list.slice();
    next.splice(insertionIndex(list, m), 0, m);
    messages.value = next;
  }

  /**
   * Loads older pages until the message at `seq` is there (a reply's
   * original), at most `maxPages`; returns its key, or null when it is not
   * in this device's view of the conversation.
   */
  async function loadThrough(seq: number, maxPages = 50): Promise<string | null> {
    const id = conv.value;
    for (let page = 0; page <= maxPages && id === conv.value; page++) {
      const found = messages.value.find((m) => m.seq === seq);
      if (found) return found.key;
      const oldest = messages.value.find((m) => m.seq !== undefined)?.seq;
      if (!hasMore.value || (oldest !== undefined && oldest < seq)) return null;
      await loadOlder();
    }
    return null;
  }

  /** The loaded message with `key`, if any. */
  function get(key: string): StoredMessage | undefined {
    return index.get(key);
  }

  return {
    conv,
    messages,
    hasMore,
    loading,
    count,
    unreadAfter,
    firstUnreadKey,
    open,
    loadOlder,
    loadThrough,
    upsert,
    get,
  };
});
