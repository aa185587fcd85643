// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { Throttle } from '../../../client/imClient';
import ThrottleNotice from '../../../renderer/src/components/ThrottleNotice.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { inLocale, plugins } from './helpers';

const nameOf = (userId: string) => (userId === 'u_bob' ? 'Bob' : userId);

function mountWith(throttle: Throttle | undefined, setup = plugins()) {
  return mount(ThrottleNotice, { ...setup, props: { throttle, nameOf } });
}

describe('throttle notice', () => {
  it('is absent when nothing is held back', () => {
    const wrapper = mountWith(undefined);
    expect(wrapper.find('[data-testid="throttle-notice"]').exists()).toBe(false);
  });

  it('says how long until messages go out when sending too fast', () => {
    const wrapper = mountWith({ code: 'rate_limited', to: 'u_bob', retryAfterMs: 2_400 });
    const notice = wrapper.get('[data-testid="throttle-notice"]');
    expect(notice.attributes('role')).toBe('status');
    expect(notice.attributes('data-code')).toBe('rate_limited');
    expect(notice.text()).toBe(
      'You are sending faster than the server allows. Your messages will go out in 3 s.',
    );
  });

  it('names the recipient whose inbox is full', () => {
    const wrapper = mountWith({ code: 'inbox_full', to: 'u_bob', retryAfterMs: 30_000 });
    expect(wrapper.get('[data-testid="throttle-notice"]').text()).toBe(
      'Bob has too many messages waiting. Yours will go out as soon as they catch up.',
    );
  });

  it('speaks Simplified Chinese too', async () => {
    const setup = plugins();
    await inLocale(setup, 'zh-CN');
    const wrapper = mountWith({ code: 'rate_limited', to: 'u_bob', retryAfterMs: 5_000 }, setup);
    expect(wrapper.text()).toBe('你的发送速度超过了服务器的限制，消息将在 5 秒后发出。');
  });
});

describe('throttling in the chat store', () => {
  it('shows sending too fast in any conversation, a full inbox only in that person’s', () => {
    plugins();
    const chat = useChatStore();
    chat.activeId = 'u_carol';
    chat.throttled = { code: 'inbox_full', to: 'u_bob', retryAfterMs: 30_000 };
    expect(chat.activeThrottle).toBeUndefined();
    chat.activeId = 'u_bob';
    expect(chat.activeThrottle).toEqual({ code: 'inbox_full', to: 'u_bob', retryAfterMs: 30_000 });
    chat.activeId = 'u_carol';
    chat.throttled = { code: 'rate_limited', to: 'u_bob', retryAfterMs: 2_000 };
    expect(chat.activeThrottle?.code).toBe('rate_limited');
    chat.throttled = undefined;
    expect(chat.activeThrottle).toBeUndefined();
  });
});
