// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import type { ConversationSummary } from '../../../client/storage';
import type { ConversationId } from '../../../protocol';
import ConnectionBanner from '../../../renderer/src/components/ConnectionBanner.vue';
import ContactList from '../../../renderer/src/components/ContactList.vue';
import ConversationPane from '../../../renderer/src/components/ConversationPane.vue';
import ModalDialog from '../../../renderer/src/components/ModalDialog.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { useConversationStore } from '../../../renderer/src/stores/conversation';
import { draftKey, useDraftsStore } from '../../../renderer/src/stores/drafts';
import {
  CAROL_CONV,
  dialogOf,
  failedTo,
  fakeViewport,
  message,
  plugins,
  PEER_CONV,
} from './helpers';

const SERVER = 'http://server.test:7420';

beforeAll(() => fakeViewport());
beforeEach(() => localStorage.clear());
afterEach(() => {
  document.body.innerHTML = '';
});

/** Signed in as `me` with contacts peer and carol; `failed` are the failed messages. */
function signedIn(failed: ReturnType<typeof failedTo>[] = [], online = true) {
  const setup = plugins();
  const chat = useChatStore();
  chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  chat.users = [
    { userId: 'peer', username: 'peer', displayName: 'Peer', online },
    { userId: 'carol', username: 'carol', displayName: 'Carol', online },
  ];
  chat.failed = new Map(failed.map((m) => [m.key, m]));
  chat.connection = 'connected';
  useDraftsStore().use(SERVER, 'me');
  return { setup, chat };
}

/** The conversation pane with `id` open. */
function pane(id: string | null, failed: ReturnType<typeof failedTo>[] = []) {
  const { setup, chat } = signedIn(failed);
  chat.activeId = id;
  const conversation = useConversationStore();
  conversation.conv = id === 'carol' ? CAROL_CONV : id === 'peer' ? PEER_CONV : null;
  conversation.messages = failed.filter((m) => m.conv === conversation.conv);
  const resendAll = vi.fn(async (_entry?: string | null) => undefined);
  chat.resendAll = resendAll;
  chat.send = vi.fn(async () => null);
  const wrapper = mount(ConversationPane, { ...setup, attachTo: document.body });
  const box = () => wrapper.get('textarea[aria-label="Message"]');
  return { wrapper, chat, resendAll, box };
}

describe('drafts: each conversation keeps its own', () => {
  it('switching away and back restores the draft; it never follows you', async () => {
    const { wrapper, chat, box } = pane('peer');
    await box().setValue('half a thought for Peer');
    chat.activeId = 'carol';
    await flushPromises();
    expect((box().element as HTMLTextAreaElement).value).toBe('');
    await box().setValue('for Carol');
    chat.activeId = 'peer';
    await flushPromises();
    expect((box().element as HTMLTextAreaElement).value).toBe('half a thought for Peer');
    chat.activeId = 'carol';
    await flushPromises();
    expect((box().element as HTMLTextAreaElement).value).toBe('for Carol');
    wrapper.unmount();
  });

  it('a reply being written stays with its conversation and goes out with the message', async () => {
    const question = message({ direction: 'in', body: 'Lunch at noon?' });
    const { wrapper, chat, box } = pane('peer', []);
    useConversationStore().messages = [question];
    await flushPromises();
    wrapper.findComponent({ name: 'MessageList' }).vm.$emit('reply', question);
    await flushPromises();
    expect(wrapper.get('[data-testid="replying-to"]').text()).toContain('Lunch at noon?');
    chat.activeId = 'carol';
    await flushPromises();
    expect(wrapper.find('[data-testid="replying-to"]').exists()).toBe(false);
    chat.activeId = 'peer';
    await flushPromises();
    expect(wrapper.get('[data-testid="replying-to"]').text()).toContain('Replying to Peer');
    await box().setValue('Yes');
    await box().trigger('keydown', { key: 'Enter' });
    expect(chat.send).toHaveBeenCalledWith('Yes', question);
    await flushPromises();
    expect(wrapper.find('[data-testid="replying-to"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('survives a reload (persisted per server, user and conversation)', async () => {
    const first = pane('peer');
    await first.box().setValue('unsent words');
    first.wrapper.unmount();
    expect(localStorage.getItem(draftKey(`${SERVER}|me`, 'peer'))).toBe('unsent words');
    // A new app instance (fresh stores), same server and user.
    const second = pane('peer');
    await flushPromises();
    expect((second.box().element as HTMLTextAreaElement).value).toBe('unsent words');
    second.wrapper.unmount();
    // Another user on the same server does not see it.
    const { chat } = signedIn();
    useDraftsStore().use(SERVER, 'someone-else');
    expect(useDraftsStore().get('peer')).toBe('');
    expect(chat.me?.userId).toBe('me');
  });

  it('sending clears that conversation’s draft only', async () => {
    const { wrapper, chat, box } = pane('carol');
    await box().setValue('keep me');
    chat.activeId = 'peer';
    await flushPromises();
    await box().setValue('send me');
    await box().trigger('keydown', { key: 'Enter' });
    expect(chat.send).toHaveBeenCalledWith('send me', undefined);
    expect((box().element as HTMLTextAreaElement).value).toBe('');
    expect(localStorage.getItem(draftKey(`${SERVER}|me`, 'peer'))).toBeNull();
    expect(localStorage.getItem(draftKey(`${SERVER}|me`, 'carol'))).toBe('keep me');
    wrapper.unmount();
  });
});

describe('failed messages per conversation', () => {
  const failures = () => [failedTo('p1'), failedTo('p2'), failedTo('c1', 'carol')];

  it('Resend all shows only this conversation’s count and resends only it', async () => {
    const { wrapper, resendAll } = pane('carol', failures());
    await flushPromises();
    const notice = wrapper.get('[data-testid="failed-notice"]');
    expect(notice.text()).toContain('1 message not delivered');
    await notice.get('button').trigger('click');
    expect(resendAll).toHaveBeenCalledWith('carol');
    wrapper.unmount();
  });

  it('a conversation without failures shows no Resend all', async () => {
    const { wrapper } = pane('carol', [failedTo('p1')]);
    await flushPromises();
    expect(wrapper.find('[data-testid="failed-notice"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('the start page (no conversation open) shows no Resend all', async () => {
    const { wrapper } = pane(null, failures());
    await flushPromises();
    expect(wrapper.find('[data-testid="failed-notice"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('each Contacts entry carries data-failed with its count and a visible mark', () => {
    const { setup, chat } = signedIn(failures());
    const wrapper = mount(ContactList, {
      ...setup,
      props: { contacts: chat.contacts, total: 2, activeId: null, filter: '' },
    });
    const entry = (id: string) => wrapper.get(`[data-user-id="${id}"]`);
    expect(entry('peer').attributes('data-failed')).toBe('2');
    expect(entry('carol').attributes('data-failed')).toBe('1');
    expect(entry('peer').get('[data-testid="failed-mark"]').text()).toContain('2');
    expect(entry('peer').attributes('aria-label')).toContain('2 messages not delivered');
    chat.failed = new Map([[failedTo('p9').key, failedTo('p9')]]);
    const after = mount(ContactList, {
      ...setup,
      props: { contacts: chat.contacts, total: 2, activeId: null, filter: '' },
    });
    expect(after.get('[data-user-id="carol"]').attributes('data-failed')).toBe('0');
    expect(after.get('[data-user-id="carol"]').find('[data-testid="failed-mark"]').exists()).toBe(
      false,
    );
  });
});

it('a failed group message counts on the group’s entry', () => {
  const { chat } = signedIn();
  const team = 'g:0b6c1d3e-0000-4000-8000-000000000002' as ConversationId;
  chat.summaries = new Map([
    [team, { conv: team, kind: 'group', name: 'Team', unread: 0 } as ConversationSummary],
  ]);
  const m = message({ id: 'g1', to: team, conv: team, peer: '', status: 'failed' });
  chat.failed = new Map([[m.key, m]]);
  expect(chat.contacts.find((c) => c.id === team)?.failed).toBe(1);
  expect(chat.contacts.find((c) => c.id === 'peer')?.failed).toBe(0);
});

describe('presence while not connected', () => {
  it.each(['connecting', 'offline'] as const)(
    'no contact is online while %s (presence unknown)',
    (state) => {
      const { setup, chat } = signedIn([], true);
      const online = () =>
        mount(ContactList, {
          ...setup,
          props: { contacts: chat.contacts, total: 2, activeId: null, filter: '' },
        })
          .findAll('li')
          .map((li) => li.attributes('data-online'));
      expect(online()).toEqual(['true', 'true']);
      chat.connection = state;
      expect(online()).toEqual(['false', 'false']);
    },
  );
});

describe('closing a dialog returns focus to its opener', () => {
  it.each(['Escape', 'Cancel'])('ResendDialog closed with %s', async (how) => {
    const failed = failedTo('f1');
    const { wrapper } = pane('peer', [failed]);
    await flushPromises();
    const opener = wrapper
      .get('[data-msg-id="f1"]')
      .findAll('button')
      .find((b) => b.text() === 'Resend')!;
    (opener.element as HTMLElement).focus();
    await opener.trigger('click');
    await flushPromises();
    const dialog = await dialogOf(wrapper);
    expect(dialog.element.contains(document.activeElement)).toBe(true);
    if (how === 'Escape') await dialog.trigger('keydown', { key: 'Escape' });
    else
      await dialog
        .findAll('button')
        .find((b) => b.text() === 'Cancel')!
        .trigger('click');
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    expect(document.activeElement).toBe(opener.element);
    wrapper.unmount();
  });

  it('any ModalDialog gives focus back on close', async () => {
    const Host = defineComponent(() => {
      const open = ref(false);
      return () =>
        h('div', [
          h('button', { id: 'opener', onClick: () => (open.value = true) }, 'Open'),
          open.value
            ? h(ModalDialog, { title: 'T', onClose: () => (open.value = false) }, () =>
                h('button', 'Inside'),
              )
            : null,
        ]);
    });
    const wrapper = mount(Host, { ...plugins(), attachTo: document.body });
    const opener = wrapper.get('#opener');
    (opener.element as HTMLElement).focus();
    await opener.trigger('click');
    await flushPromises();
    expect(document.activeElement?.textContent).toBe('Inside');
    await wrapper.get('[role="dialog"]').trigger('keydown', { key: 'Escape' });
    expect(document.activeElement).toBe(opener.element);
    wrapper.unmount();
  });
});

describe('connection banner says what really happens to messages sent now', () => {
  it.each([
    ['connecting', 155_000, 'Reconnecting', 'retried for about 2.5 minutes'],
    ['offline', 155_000, 'You are offline', 'retried for about 2.5 minutes'],
    ['offline', 3_000, 'You are offline', 'retried for about 3 seconds'],
  ] as const)('%s, budget %i ms', (state, retryMs, head, window) => {
    const wrapper = mount(ConnectionBanner, { ...plugins(), props: { state, retryMs } });
    const text = wrapper.get('[data-testid="reconnect-banner"]').text();
    expect(text).toContain(head);
    expect(text).toContain(window);
    expect(text).toContain('you can resend them');
    expect(text).not.toContain('will go out when');
  });

  it('uses the engine’s policy (default: 5 × doubling from 5 s = 155 s)', () => {
    plugins();
    expect(useChatStore().retryBudget()).toBe(155_000);
  });
});
