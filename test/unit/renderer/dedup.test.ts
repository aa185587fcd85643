// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareMessages } from '../../../client/order';
import type { HistoryQuery, StoredMessage } from '../../../client/storage';
import MessageList from '../../../renderer/src/components/MessageList.vue';
import { PAGE_SIZE, useConversationStore } from '../../../renderer/src/stores/conversation';
import { directConversationId } from '../../../protocol';
import { fakeViewport, message, PEER_CONV, plugins } from './helpers';

beforeAll(() => fakeViewport());

/** A history source over `all` (newest first, strictly before the cursor), like the engine's. */
function historyOf(all: StoredMessage[]) {
  const sorted = [...all].sort((a, b) => compareMessages(b, a));
  return async (_conv: string, q: HistoryQuery): Promise<StoredMessage[]> => {
    const before = q.before;
    return sorted.filter((m) => !before || compareMessages(m, before) < 0).slice(0, q.limit);
  };
}

describe('a message is shown exactly once', () => {
  it('the store keeps one entry per key, whatever the order of events and pages', async () => {
    plugins();
    const store = useConversationStore();
    const a = message({ direction: 'in', id: 'a' });
    const b = message({ direction: 'out', id: 'b', status: 'sent' });
    await store.open(PEER_CONV, historyOf([a, b]));
    expect(store.messages.map((m) => m.id)).toEqual(['a', 'b']);

    // The same incoming message again (retransmission, reconnect, offline pull).
    store.upsert({ ...a });
    store.upsert({ ...a });
    // A status change replaces the outgoing message in place.
    store.upsert({ ...b, status: 'delivered' });
    expect(store.messages.map((m) => m.id)).toEqual(['a', 'b']);
    expect(store.messages[1]!.status).toBe('delivered');

    // Another conversation's message is not shown here.
    store.upsert(
      message({
        direction: 'in',
        id: 'c',
        peer: 'other',
        conv: directConversationId('me', 'other'),
      }),
    );
    expect(store.count).toBe(2);
  });

  it('a page loaded after an event does not duplicate it nor undo its status', async () => {
    plugins();
    const store = useConversationStore();
    const old = message({ id: 'old', status: 'sent' });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source = historyOf([old]);
    const opening = store.open(PEER_CONV, async (peer, q) => {
      const page = await source(peer, q);
      await gate;
      return page;
    });
    store.upsert({ ...old, status: 'delivered' });
    release();
    await opening;
    expect(store.messages).toHaveLength(1);
    expect(store.messages[0]!.status).toBe('delivered');
  });

  it('pages through a long history without repeats', async () => {
    plugins();
    const store = useConversationStore();
    const all = Array.from({ length: PAGE_SIZE * 2 + 5 }, (_, i) =>
      message({ id: `h${i}`, direction: i % 2 ? 'in' : 'out', posA: 1_000 + i }),
    );
    await store.open(PEER_CONV, historyOf(all));
    expect(store.count).toBe(PAGE_SIZE);
    await store.loadOlder();
    await store.loadOlder();
    expect(store.hasMore).toBe(false);
    expect(store.messages.map((m) => m.id)).toEqual(all.map((m) => m.id));
  });

  it('the list renders each message once', async () => {
    const setup = plugins();
    const a = message({ direction: 'in', id: 'dup' });
    const b = message({ direction: 'out', id: 'mine', status: 'delivered' });
    const store = useConversationStore();
    await store.open(PEER_CONV, historyOf([a, b]));
    store.upsert({ ...a });
    const wrapper = mount(MessageList, {
      ...setup,
      props: { messages: store.messages, hasMore: false },
      attachTo: document.body,
    });
    store.upsert({ ...a });
    await wrapper.setProps({ messages: store.messages } as Record<string, unknown>);
    await flushPromises();
    expect(wrapper.findAll('[data-msg-id="dup"]')).toHaveLength(1);
    expect(wrapper.findAll('[data-msg-id="mine"]')).toHaveLength(1);
    expect(wrapper.findAll('[role="separator"]')).toHaveLength(1);
    wrapper.unmount();
  });
});
