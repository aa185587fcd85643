// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ContactItem from '../../../renderer/src/components/ContactItem.vue';
import ConversationPane from '../../../renderer/src/components/ConversationPane.vue';
import { useChatStore, type Contact } from '../../../renderer/src/stores/chat';
import { useConversationStore } from '../../../renderer/src/stores/conversation';
import { useDraftsStore } from '../../../renderer/src/stores/drafts';
import { mutesKey, useMutesStore } from '../../../renderer/src/stores/mutes';
import { fakeViewport, plugins, PEER_CONV } from './helpers';

const SERVER = 'http://server.test:7420';

beforeAll(() => fakeViewport());
beforeEach(() => localStorage.clear());
afterEach(() => {
  document.body.innerHTML = '';
});

/** Signed in as me on SERVER with Peer's conversation open; returns the pane and its Mute button. */
function pane() {
  const setup = plugins();
  const chat = useChatStore();
  chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  chat.users = [{ userId: 'peer', username: 'peer', displayName: 'Peer', online: true }];
  chat.connection = 'connected';
  useDraftsStore().use(SERVER, 'me');
  const mutes = useMutesStore();
  mutes.use(SERVER, 'me');
  chat.activeId = 'peer';
  useConversationStore().conv = PEER_CONV;
  const wrapper = mount(ConversationPane, { ...setup, attachTo: document.body });
  const button = () => wrapper.get('button[aria-label="Mute notifications for Peer"]');
  return { setup, chat, mutes, button };
}

/** Peer's contact-list entry with `unread` unread messages. */
function entry(setup: ReturnType<typeof plugins>, unread: number) {
  const contact: Contact = {
    id: 'peer',
    kind: 'user',
    name: 'Peer',
    user: { userId: 'peer', username: 'peer', displayName: 'Peer', online: true },
    online: true,
    left: false,
    unread,
    failed: 0,
    last: undefined,
    activity: 0,
  };
  return mount(ContactItem, { ...setup, props: { contact, active: false } });
}

describe('per-chat mute toggle', () => {
  it('the header button is a toggle: aria-pressed follows the mute, which is saved', async () => {
    const { button, mutes } = pane();
    expect(button().attributes('aria-pressed')).toBe('false');
    expect(button().attributes('title')).toBe('Mute');
    await button().trigger('click');
    expect(button().attributes('aria-pressed')).toBe('true');
    expect(button().attributes('title')).toBe('Unmute');
    expect(mutes.isMuted('peer')).toBe(true);
    expect(JSON.parse(localStorage.getItem(mutesKey(`${SERVER}|me`))!)).toEqual(['peer']);
    await button().trigger('click');
    expect(button().attributes('aria-pressed')).toBe('false');
    expect(mutes.isMuted('peer')).toBe(false);
  });

  it('a muted chat keeps its unread count and shows the muted mark in the list', async () => {
    const { setup, button } = pane();
    const before = entry(setup, 3);
    expect(before.get('li').attributes('data-muted')).toBeUndefined();
    expect(before.find('[data-testid="muted-mark"]').exists()).toBe(false);
    await button().trigger('click');
    const item = entry(setup, 3);
    expect(item.get('li').attributes('data-muted')).toBe('true');
    expect(item.get('li').attributes('aria-label')).toContain('muted');
    expect(item.find('[data-testid="muted-mark"]').exists()).toBe(true);
    expect(item.get('[data-testid="unread"]').text()).toBe('3');
  });

  it('signing out (chat.stop) forgets the account: nothing shows as muted', async () => {
    const { chat, mutes, button } = pane();
    await button().trigger('click');
    chat.stop();
    expect(mutes.scope).toBeNull();
    expect(mutes.isMuted('peer')).toBe(false);
  });
});
