// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import FailedNotice from '../../../renderer/src/components/FailedNotice.vue';
import { plugins } from './helpers';

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
    const i18n = setup.global.plugins[1] as unknown as { global: { locale: { value: string } } };
    i18n.global.locale.value = 'zh-CN';
    const wrapper = mount(FailedNotice, { ...setup, props: { count: 2 } });
    expect(wrapper.text()).toContain('2 条消息未送达');
    expect(wrapper.get('button').text()).toBe('全部重新发送');
  });
});
