// @vitest-environment happy-dom
/**
 * Replies in the UI (issue 11): the quote above a reply jumps to the
 * original, the composer shows what is being answered and Escape cancels
 * it, the message menu (Reply, Copy text, Message info) is keyboard
 * operable and gives focus back, and the conversation store loads older
 * pages until a reply's original is there.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { StoredMessage } from '../../../client/storage';
import ComposerBox from '../../../renderer/src/components/ComposerBox.vue';
import MessageBubble from '../../../renderer/src/components/MessageBubble.vue';
import MessageMenu from '../../../renderer/src/components/MessageMenu.vue';
import { PAGE_SIZE, useConversationStore } from '../../../renderer/src/stores/conversation';
import { message, PEER_CONV, plugins, historyOf } from './helpers';

// The real picker (and its data) runs in the browser e2e (19); here it is a plain element.
vi.mock('../../../renderer/src/lib/emojiPicker', () => ({
  loadEmojiPicker: async () => document.createElement('div'),
}));

describe('a reply in the history', () => {
  it('shows the quote (who, what) above the text, and a click asks to jump to its seq', async () => {
    const reply = message({
      direction: 'in',
      body: 'Yes',
      reply: { from: 'me', id: 'q', seq: 7, excerpt: 'Lunch at noon?' },
    });
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: { message: reply, quoteName: 'You' },
    });
    const quote = wrapper.get('[data-testid="reply-quote"]');
    expect(quote.text()).toBe('YouLunch at noon?');
    expect(quote.attributes('aria-label')).toBe('Reply to You: Lunch at noon?');
    // Above the body.
    const bubble = wrapper.get('.bubble').element;
    expect(bubble.querySelector('[data-testid="reply-quote"] ~ .body')).not.toBeNull();
    await quote.trigger('click');
    expect(wrapper.emitted('jump')).toEqual([[7]]);
  });

  it('an expired original still shows that it was a reply', () => {
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: {
        message: message({ reply: { from: 'peer', id: 'q', seq: 1, excerpt: '' } }),
        quoteName: 'Bob',
      },
    });
    expect(wrapper.get('[data-testid="reply-quote"]').text()).toContain(
      'Original message not available',
    );
  });

  it('right-click, the menu key and Shift+F10 open the message menu; no Reply before the server has it', async () => {
    const wrapper = mount(MessageBubble, { ...plugins(), props: { message: message() } });
    await wrapper.get('.bubble').trigger('contextmenu', { clientX: 30, clientY: 40 });
    expect(wrapper.emitted('menu')?.[0]).toEqual([30, 40]);
    await wrapper.get('[data-testid="more"]').trigger('keydown', { key: 'ContextMenu' });
    await wrapper.get('[data-testid="more"]').trigger('keydown', { key: 'F10', shiftKey: true });
    expect(wrapper.emitted('menu')).toHaveLength(3);
    expect(wrapper.find('[data-testid="reply"]').exists()).toBe(true);
    const pending = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ seq: undefined }) },
    });
    expect(pending.find('[data-testid="reply"]').exists()).toBe(false);
  });
});

describe('the message menu', () => {
  it('focuses its first item, moves with the arrows (wrapping), picks with a click, returns focus on close', async () => {
    const opener = document.createElement('button');
    document.body.append(opener);
    opener.focus();
    const wrapper = mount(MessageMenu, {
      ...plugins(),
      attachTo: document.body,
      props: {
        x: 10,
        y: 10,
        label: 'Message actions',
        items: [
          { id: 'reply', label: 'Reply' },
          { id: 'copy', label: 'Copy text' },
        ],
      },
    });
    await flushPromises();
    await nextTick();
    const menu = document.querySelector<HTMLElement>('[role="menu"]')!;
    expect(menu.getAttribute('aria-label')).toBe('Message actions');
    const items = [...menu.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    expect(items.map((i) => i.textContent?.trim())).toEqual(['Reply', 'Copy text']);
    expect(document.activeElement).toBe(items[0]);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(items[1]);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(items[0]);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    expect(document.activeElement).toBe(items[1]);
    items[1]!.click();
    expect(wrapper.emitted('pick')).toEqual([['copy']]);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(wrapper.emitted('close')).toHaveLength(1);
    wrapper.unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });

  it('a pointer press outside closes it', async () => {
    const wrapper = mount(MessageMenu, {
      ...plugins(),
      attachTo: document.body,
      props: { x: 0, y: 0, label: 'Message actions', items: [{ id: 'copy', label: 'Copy text' }] },
    });
    await flushPromises();
    document.body.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
    expect(wrapper.emitted('close')).toHaveLength(1);
    wrapper.unmount();
  });
});

describe('the composer while replying', () => {
  it('shows whom and what it answers; Escape and the × cancel the reply, not the text', async () => {
    const original = message({ direction: 'in', body: 'Lunch\n at   noon?' });
    const wrapper = mount(ComposerBox, {
      ...plugins(),
      props: { replyTo: original, replyName: 'Bob' },
    });
    const bar = wrapper.get('[data-testid="replying-to"]');
    expect(bar.text()).toContain('Replying to Bob');
    expect(bar.text()).toContain('Lunch at noon?');
    const box = wrapper.get('textarea');
    await box.setValue('Sure');
    await box.trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('cancel-reply')).toHaveLength(1);
    expect((box.element as HTMLTextAreaElement).value).toBe('Sure');
    await wrapper.get('button[aria-label="Cancel reply"]').trigger('click');
    expect(wrapper.emitted('cancel-reply')).toHaveLength(2);
    // Without a reply Escape does nothing here (dialogs handle their own).
    await wrapper.setProps({ replyTo: undefined } as never);
    expect(wrapper.find('[data-testid="replying-to"]').exists()).toBe(false);
    await box.trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('cancel-reply')).toHaveLength(2);
  });
});

describe('jumping to a reply’s original', () => {
  it('loads older pages until the original is there, and no further', async () => {
    plugins();
    const store = useConversationStore();
    const all = Array.from({ length: 1000 }, () => message({ direction: 'in' }));
    const target = all[250]!;
    const source = historyOf(all);
    await store.open(PEER_CONV, source);
    expect(store.get(target.key)).toBeUndefined();
    expect(await store.loadThrough(target.seq!)).toBe(target.key);
    expect(source.pages).toBe(Math.ceil((1000 - 250) / PAGE_SIZE));
    expect(store.get(target.key)).toBeDefined();
  });

  it('a seq this device cannot see (older than its history) gives null, after the last page', async () => {
    plugins();
    const store = useConversationStore();
    const all = Array.from({ length: 150 }, () => message({ direction: 'in' }));
    const source = historyOf(all);
    await store.open(PEER_CONV, source);
    expect(await store.loadThrough(all[0]!.seq! - 1)).toBeNull();
    expect(store.hasMore).toBe(false);
  });

  it('switching conversations while a page loads does not leave the next one unable to load', async () => {
    plugins();
    const store = useConversationStore();
    let release: () => void = () => undefined;
    const slow = async (): Promise<StoredMessage[]> => {
      await new Promise<void>((resolve) => (release = resolve));
      return [];
    };
    const opening = store.open(PEER_CONV, slow);
    const other = [message({ direction: 'in', body: 'elsewhere' })];
    const next = store.open(PEER_CONV, historyOf(other));
    release();
    await Promise.all([opening, next]);
    expect(store.messages.map((m) => m.body)).toEqual(['elsewhere']);
  });
});

describe('emoji in the composer', () => {
  it('the Emoji button toggles the picker; a picked emoji goes where the caret is', async () => {
    const wrapper = mount(ComposerBox, { ...plugins(), attachTo: document.body });
    const box = wrapper.get('textarea');
    await box.setValue('Thanks !');
    (box.element as HTMLTextAreaElement).setSelectionRange(7, 7);
    const button = wrapper.get('[data-testid="emoji-button"]');
    expect(button.attributes('aria-label')).toBe('Emoji');
    expect(button.attributes('aria-expanded')).toBe('false');
    await button.trigger('click');
    expect(button.attributes('aria-expanded')).toBe('true');
    // The picker component is loaded lazily; pick through its event.
    await flushPromises();
    await vi.waitFor(() =>
      expect(wrapper.findComponent({ name: 'EmojiPicker' }).exists()).toBe(true),
    );
    wrapper.findComponent({ name: 'EmojiPicker' }).vm.$emit('pick', '😀');
    await nextTick();
    expect((box.element as HTMLTextAreaElement).value).toBe('Thanks 😀!');
    wrapper.unmount();
  });
});
