// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import MainView from '../../../renderer/src/components/MainView.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { dialogOf, fakeViewport, plugins } from './helpers';

beforeAll(() => fakeViewport());
afterEach(() => {
  document.body.innerHTML = '';
});

/** The main view, signed in; returns it and its Sign out button. */
function mainView() {
  const setup = plugins();
  useChatStore().me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  const wrapper = mount(MainView, { ...setup, attachTo: document.body });
  return { wrapper, button: wrapper.get('button[aria-label="Sign out"]') };
}

describe('sign out asks first', () => {
  it('the button opens a confirmation; nothing happens yet', async () => {
    const { wrapper, button } = mainView();
    await button.trigger('click');
    const dialog = await dialogOf(wrapper);
    expect(dialog.text()).toContain('Sign out of Tickline?');
    expect(wrapper.emitted('sign-out')).toBeUndefined();
  });

  it('"Stay signed in" (focused first) closes it without signing out', async () => {
    const { wrapper, button } = mainView();
    (button.element as HTMLElement).focus();
    await button.trigger('click');
    await flushPromises();
    const stay = (await dialogOf(wrapper)).findAll('button')[0]!;
    expect(stay.text()).toBe('Stay signed in');
    expect(document.activeElement).toBe(stay.element);
    await stay.trigger('click');
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    expect(wrapper.emitted('sign-out')).toBeUndefined();
    expect(document.activeElement).toBe(button.element);
  });

  it('Escape cancels too', async () => {
    const { wrapper, button } = mainView();
    await button.trigger('click');
    await (await dialogOf(wrapper)).trigger('keydown', { key: 'Escape' });
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    expect(wrapper.emitted('sign-out')).toBeUndefined();
  });

  it('confirming signs out', async () => {
    const { wrapper, button } = mainView();
    await button.trigger('click');
    const confirm = (await dialogOf(wrapper))
      .findAll('button')
      .find((b) => b.text() === 'Sign out')!;
    await confirm.trigger('click');
    expect(wrapper.emitted('sign-out')).toHaveLength(1);
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
  });
});
