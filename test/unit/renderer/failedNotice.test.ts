// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../../client/storage';
import type { ConversationId } from '../../../protocol';
import FailedNotice from '../../../renderer/src/components/FailedNotice.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { inLocale, message, plugins } from './helpers';

const GONE = 'g:0b6c1d3e-0000-4000-8000-000000000001' as ConversationId;

describe('not-delivered notice', () => {
  it('is absent when nothing failed', () => {
    const wrapper = mount(FailedNotice, { ...plugins(), props: { count: 0 } });
    expect(wrapper.find('[data-testid="failed-notice"]').exists()).toBe(false);
  });

  it.each([
    [1, '1 message not delivered'],
    [3, '3 messages not delivered'],
  ])('counts %i failed message(s)', (count, text) => {
    const wrapper = mount(FailedNotice, { ...plugins(), props: { count } });
    const notice = wrapper.get('[data-testid="failed-notice"]');
    // Non-blocking: a status region, not a dialog or an alert.
    expect(notice.attributes('role')).toBe('status');
    expect(notice.text()).toContain(text);
  });

  it('offers Resend all', async () => {
    const wrapper = mount(FailedNotice, { ...plugins(), props: { count: 2 } });
    const button = wrapper.get('button');
    expect(button.text()).toBe('Resend all');
    await button.trigger('click');
    expect(wrapper.emitted('resend-all')).toHaveLength(1);
  });

  it('speaks Simplified Chinese too', async () => {
    const setup = plugins();
    await inLocale(setup, 'zh-CN');
    const wrapper = mount(FailedNotice, { ...setup, props: { count: 2 } });
    expect(wrapper.text()).toContain('2 条消息未送达');
    expect(wrapper.get('button').text()).toBe('全部重新发送');
  });
});

describe('failed messages counted by the chat store', () => {
  it('leaves out those to a group the person is no longer in (nothing can resend them)', () => {
    plugins();
    const chat = useChatStore();
    const gone = message({ id: 'g1', status: 'failed', conv: GONE, to: GONE });
    const direct = message({ id: 'd1', status: 'failed' });
    chat.failed = new Map([
      [gone.key, gone],
      [direct.key, direct],
    ]);
    const summary = (left: boolean) =>
      ({ conv: GONE, kind: 'group', name: 'Old team', left, unread: 0 }) as ConversationSummary;
    chat.summaries = new Map([[GONE, summary(false)]]);
    expect(chat.failedCount).toBe(2);
    chat.summaries = new Map([[GONE, summary(true)]]);
    expect(chat.failedCount).toBe(1);
  });
});
