import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { compareMessages, insertionIndex } from '../../../client/order';
import type { HistoryQuery, StoredMessage } from '../../../client/storage';
import type { ConversationId } from '../../../protocol';

/** Messages read per page (from local storage, or from the server when it runs out). */
export const PAGE_SIZE = 100;

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
  let source: HistorySource | undefined;
  let generation = 0;

  /** Number of messages loaded. */
  const count = computed(() => messages.value.length);

  /** Opens conversation `id` and loads its newest page. */
  async function open(id: ConversationId | null, history?: HistorySource): Promise<void> {
    generation++;
    conv.value = id;
    source = history;
    index.clear();
    messages.value = [];
    hasMore.value = id !== null;
    if (id !== null) await loadOlder();
  }

  /** Loads the page before the oldest loaded message. */
  async function loadOlder(): Promise<void> {
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

  /** The loaded message with `key`, if any. */
  function get(key: string): StoredMessage | undefined {
    return index.get(key);
  }

  return { conv, messages, hasMore, loading, count, open, loadOlder, upsert, get };
});
