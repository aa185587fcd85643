// @vitest-environment happy-dom
/**
 * The desktop host's notice about its embedded server's restarts, fed through
 * a stand-in `window.tickline.onHostEvent` (the preload's typed bridge).
 */
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import HostNotice from '../../../renderer/src/components/HostNotice.vue';
import type { DesktopBridge, HostEvent } from '../../../protocol/desktop';
import { inLocale, plugins } from './helpers';

type Listener = (event: HostEvent) => void;

/** Installs a bridge that only has `onHostEvent`; returns the way to emit events. */
function fakeBridge(): { emit: (event: HostEvent) => void; listeners: Set<Listener> } {
  const listeners = new Set<Listener>();
  const bridge: Pick<DesktopBridge, 'onHostEvent'> = {
    onHostEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  (globalThis as { tickline?: unknown }).tickline = bridge;
  return { emit: (event) => listeners.forEach((listener) => listener(event)), listeners };
}

afterEach(() => {
  delete (globalThis as { tickline?: unknown }).tickline;
});

describe('host notice', () => {
  it('shows nothing until the server dies', () => {
    fakeBridge();
    const wrapper = mount(HostNotice, plugins());
    expect(wrapper.find('[data-testid="host-notice"]').exists()).toBe(false);
  });

  it('says when the server restarts, that it runs again, and when it was given up', async () => {
    const bridge = fakeBridge();
    const wrapper = mount(HostNotice, plugins());

    bridge.emit({ type: 'restarting', seconds: 2 });
    await wrapper.vm.$nextTick();
    let notice = wrapper.get('[data-testid="host-notice"]');
    expect(notice.attributes('role')).toBe('status');
    expect(notice.attributes('data-state')).toBe('restarting');
    expect(notice.text()).toBe('The server on this computer stopped. Restarting it in 2 s…');

    bridge.emit({ type: 'restarted', port: 7420 });
    await wrapper.vm.$nextTick();
    notice = wrapper.get('[data-testid="host-notice"]');
    expect(notice.attributes('role')).toBe('status');
    expect(notice.text()).toBe('The server on this computer stopped and was restarted.');

    bridge.emit({ type: 'gave-up', error: 'the server process exited' });
    await wrapper.vm.$nextTick();
    notice = wrapper.get('[data-testid="host-notice"]');
    expect(notice.attributes('role')).toBe('alert');
    expect(notice.text()).toBe(
      'The server on this computer keeps stopping: the server process exited',
    );
  });

  it('can be closed, and stops listening when unmounted', async () => {
    const bridge = fakeBridge();
    const wrapper = mount(HostNotice, plugins());
    bridge.emit({ type: 'restarted', port: 7420 });
    await wrapper.vm.$nextTick();
    await wrapper.get('button[aria-label="Close"]').trigger('click');
    expect(wrapper.find('[data-testid="host-notice"]').exists()).toBe(false);
    expect(bridge.listeners.size).toBe(1);
    wrapper.unmount();
    expect(bridge.listeners.size).toBe(0);
  });

  it('speaks Simplified Chinese too', async () => {
    const bridge = fakeBridge();
    const setup = plugins();
    await inLocale(setup, 'zh-CN');
    const wrapper = mount(HostNotice, setup);
    bridge.emit({ type: 'restarting', seconds: 4 });
    await wrapper.vm.$nextTick();
    expect(wrapper.text()).toContain('4 秒后重新启动');
  });

  it('is inert in the web client (no bridge)', () => {
    const wrapper = mount(HostNotice, plugins());
    expect(wrapper.find('[data-testid="host-notice"]').exists()).toBe(false);
  });
});
