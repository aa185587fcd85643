// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import ConversationPane from '../../../renderer/src/components/ConversationPane.vue';
import ResendDialog from '../../../renderer/src/components/ResendDialog.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { useConversationStore } from '../../../renderer/src/stores/conversation';
import { dialogOf, fakeViewport, message, plugins, PEER_CONV } from './helpers';

beforeAll(() => fakeViewport());

describe('ResendDialog', () => {
  it('is a dialog with Resend and Cancel', async () => {
    const wrapper = mount(ResendDialog, { ...plugins(), props: { preview: 'hello' } });
    const dialog = wrapper.get('[role="dialog"]');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(wrapper.text()).toContain('Resend this message?');
    expect(wrapper.text()).toContain('hello');
    const buttons = wrapper.findAll('button').map((b) => b.text());
    expect(buttons).toEqual(['Cancel', 'Resend']);
    await wrapper.findAll('button')[1]!.trigger('click');
    expect(wrapper.emitted('confirm')).toHaveLength(1);
    await wrapper.findAll('button')[0]!.trigger('click');
    expect(wrapper.emitted('cancel')).toHaveLength(1);
  });

  it('Escape cancels', async () => {
    const wrapper = mount(ResendDialog, plugins());
    await wrapper.get('[role="dialog"]').trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('cancel')).toHaveLength(1);
  });
});

/** The conversation of `me` with `peer`, one failed message in it. */
function mountConversation() {
  const setup = plugins();
  const chat = useChatStore();
  const conversation = useConversationStore();
  chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  chat.users = [{ userId: 'peer', username: 'peer', displayName: 'Peer', online: true }];
  chat.activeId = 'peer';
  const failed = message({ id: 'f1', body: 'lost in transit', status: 'failed', seq: undefined });
  conversation.conv = PEER_CONV;
  conversation.messages = [message({ id: 'ok1', status: 'delivered' }), failed];
  chat.failed = new Map([[failed.key, failed]]);
  const resend = vi.fn(async () => undefined);
  const resendAll = vi.fn(async () => undefined);
  chat.resend = resend;
  chat.resendAll = resendAll;
  const wrapper = mount(ConversationPane, { ...setup, attachTo: document.body });
  return { wrapper, resend, resendAll };
}

describe('resending from the conversation', () => {
  it('Resend opens the dialog; Cancel does not resend', async () => {
    const { wrapper, resend } = mountConversation();
    await flushPromises();
    const failed = wrapper.get('[data-msg-id="f1"]');
    expect(failed.attributes('data-status')).toBe('failed');
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    await failed
      .findAll('button')
      .find((b) => b.text() === 'Resend')!
      .trigger('click');
    const dialog = await dialogOf(wrapper);
    expect(dialog.text()).toContain('lost in transit');
    await dialog
      .findAll('button')
      .find((b) => b.text() === 'Cancel')!
      .trigger('click');
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    expect(resend).not.toHaveBeenCalled();
    wrapper.unmount();
  });

  it('Resend in the dialog resends that message by id', async () => {
    const { wrapper, resend } = mountConversation();
    await flushPromises();
    await wrapper
      .get('[data-msg-id="f1"]')
      .findAll('button')
      .find((b) => b.text() === 'Resend')!
      .trigger('click');
    const dialog = await dialogOf(wrapper);
    await dialog
      .findAll('button')
      .find((b) => b.text() === 'Resend')!
      .trigger('click');
    await flushPromises();
    expect(resend).toHaveBeenCalledWith('f1');
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('shows the not-delivered notice, whose Resend all resends everything', async () => {
    const { wrapper, resendAll } = mountConversation();
    await flushPromises();
    const notice = wrapper.get('[data-testid="failed-notice"]');
    expect(notice.text()).toContain('1 message not delivered');
    await notice.get('button').trigger('click');
    expect(resendAll).toHaveBeenCalledOnce();
    wrapper.unmount();
  });
});
