// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../protocol';
import ComposerBox from '../../../renderer/src/components/ComposerBox.vue';
import { plugins } from './helpers';

function setup() {
  const wrapper = mount(ComposerBox, plugins());
  const box = wrapper.get('textarea');
  return { wrapper, box };
}

describe('composer', () => {
  it('is a textbox named Message and a button named Send', () => {
    const { wrapper, box } = setup();
    expect(box.attributes('aria-label')).toBe('Message');
    expect(wrapper.get('button[type="submit"]').attributes('aria-label')).toBe('Send');
  });

  it('Enter sends and clears; Shift+Enter does not send', async () => {
    const { wrapper, box } = setup();
    await box.setValue('line one');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(wrapper.emitted('send')).toBeUndefined();
    await box.setValue('line one\nline two');
    await box.trigger('keydown', { key: 'Enter' });
    expect(wrapper.emitted('send')).toEqual([['line one\nline two']]);
    expect((box.element as HTMLTextAreaElement).value).toBe('');
  });

  it('does not send blank text', async () => {
    const { wrapper, box } = setup();
    await box.setValue('   ');
    await box.trigger('keydown', { key: 'Enter' });
    expect(wrapper.emitted('send')).toBeUndefined();
  });

  it('refuses a message over the size limit before sending, with a clear message', async () => {
    const { wrapper, box } = setup();
    await box.setValue('é'.repeat(MAX_BODY_BYTES / 2 + 1));
    const alert = wrapper.get('[role="alert"]');
    expect(alert.text()).toMatch(/too long/);
    expect(alert.text()).toContain(`16,386 bytes of 16,384 allowed`);
    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined();
    await box.trigger('keydown', { key: 'Enter' });
    expect(wrapper.emitted('send')).toBeUndefined();
    // One byte over: the numbers say so (not "16.0 KB of 16 KB").
    await box.setValue('a'.repeat(MAX_BODY_BYTES + 1));
    expect(wrapper.get('[role="alert"]').text()).toContain('16,385 bytes of 16,384 allowed');
    // Exactly at the limit is fine.
    await box.setValue('a'.repeat(MAX_BODY_BYTES));
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });
});
