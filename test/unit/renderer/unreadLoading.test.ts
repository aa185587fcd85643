// @vitest-environment happy-dom
/**
 * Opening a conversation with 500 unread messages: older pages are loaded
 * until the first unread one is there, so the divider can go above it.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_UNREAD_PAGES,
  PAGE_SIZE,
  useConversationStore,
} from '../../../renderer/src/stores/conversation';
import { message, PEER_CONV, plugins, historyOf } from './helpers';

/** `read` read messages, then `unread` incoming unread ones. */
function conversation(read: number, unread: number) {
  const all = [
    ...Array.from({ length: read }, () => message({ status: 'delivered' })),
    ...Array.from({ length: unread }, () => message({ direction: 'in' })),
  ];
  return { all, readSeq: all[read - 1]!.seq!, firstUnread: all[read]! };
}

describe('opening with unread messages', () => {
  it('with 500 unread, loads older pages until the first unread is loaded, and no further', async () => {
    plugins();
    const store = useConversationStore();
    const { all, readSeq, firstUnread } = conversation(1000, 500);
    const source = historyOf(all);
    await store.open(PEER_CONV, source, readSeq);
    expect(store.firstUnreadKey).toBe(firstUnread.key);
    expect(source.pages).toBe(Math.ceil(501 / PAGE_SIZE));
    expect(store.hasMore).toBe(true);
  });

  it('without unread messages, loads one page and shows no divider', async () => {
    plugins();
    const store = useConversationStore();
    const { all } = conversation(1000, 500);
    const source = historyOf(all);
    await store.open(PEER_CONV, source, null);
    expect(store.firstUnreadKey).toBeNull();
    expect(source.pages).toBe(1);
  });

  it('the divider waits until everything after the read position is loaded', async () => {
    plugins();
    const store = useConversationStore();
    const { all, readSeq, firstUnread } = conversation(1, MAX_UNREAD_PAGES * PAGE_SIZE + 50);
    await store.open(PEER_CONV, historyOf(all), readSeq);
    // Too far back: no divider (a wrong one would sit above a later message).
    expect(store.count).toBe(MAX_UNREAD_PAGES * PAGE_SIZE);
    expect(store.firstUnreadKey).toBeNull();
    while (store.hasMore) await store.loadOlder();
    expect(store.firstUnreadKey).toBe(firstUnread.key);
  });
});
