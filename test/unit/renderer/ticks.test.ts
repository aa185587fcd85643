// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { OutStatus } from '../../../client/status';
import MessageBubble from '../../../renderer/src/components/MessageBubble.vue';
import StatusTick from '../../../renderer/src/components/StatusTick.vue';
import { message, plugins } from './helpers';

const TABLE: [OutStatus, string, RegExp][] = [
  ['pending', 'Sending', /not yet confirmed/],
  ['sent', 'Sent', /stored on the server/],
  ['stored', 'Waiting for recipient', /offline/],
  ['delivered', 'Delivered', /has received it/],
  ['failed', 'Not delivered', /resend/i],
];

describe('ticks (UI contract table)', () => {
  it.each(TABLE)('%s: accessible name %j and a tooltip', (status, name, tip) => {
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ id: `id-${status}`, status }) },
    });
    const root = wrapper.get('[data-testid="message"]');
    expect(root.attributes('data-msg-id')).toBe(`id-${status}`);
    expect(root.attributes('data-direction')).toBe('out');
    expect(root.attributes('data-status')).toBe(status);
    const tick = wrapper.get('[role="img"]');
    expect(tick.attributes('aria-label')).toBe(name);
    expect(tick.attributes('title')).toMatch(tip);
  });

  it('draws a distinct icon for every status', () => {
    const svgs = TABLE.map(([status]) =>
      mount(StatusTick, { ...plugins(), props: { status } })
        .find('svg')
        .html(),
    );
    expect(new Set(svgs).size).toBe(TABLE.length);
  });

  it('only a failed message has a Resend control, which names the message id', async () => {
    for (const [status] of TABLE) {
      const wrapper = mount(MessageBubble, {
        ...plugins(),
        props: { message: message({ id: 'x1', status }) },
      });
      const button = wrapper.findAll('button').filter((b) => b.text() === 'Resend');
      expect(button.length).toBe(status === 'failed' ? 1 : 0);
      if (status === 'failed') {
        await button[0]!.trigger('click');
        expect(wrapper.emitted('resend')).toEqual([['x1']]);
      }
    }
  });

  it('a failed message in a group the person left says why and offers no Resend', () => {
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ id: 'g1', status: 'failed' }), group: true, left: true },
    });
    expect(wrapper.findAll('button').filter((b) => b.text() === 'Resend')).toEqual([]);
    expect(wrapper.get('[role="img"]').attributes('title')).toMatch(/no longer a member/);
  });

  it('incoming messages have no status and no tick', () => {
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ direction: 'in', id: 'in1' }) },
    });
    const root = wrapper.get('[data-testid="message"]');
    expect(root.attributes('data-direction')).toBe('in');
    expect(root.attributes('data-status')).toBeUndefined();
    expect(wrapper.find('[role="img"]').exists()).toBe(false);
  });

  it('renders message text as text, with http(s) links only', () => {
    const body =
      '<img src=x onerror="alert(1)"> see https://example.com/a?b=1. javascript:alert(1)';
    const wrapper = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ body, status: 'sent' }) },
    });
    expect(wrapper.find('img').exists()).toBe(false);
    expect(wrapper.text()).toContain('<img src=x onerror="alert(1)">');
    const links = wrapper.findAll('a');
    expect(links.map((a) => a.attributes('href'))).toEqual(['https://example.com/a?b=1']);
    expect(links[0]!.attributes('target')).toBe('_blank');
    expect(links[0]!.attributes('rel')).toContain('noopener');
  });
});
