// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import MainView from '../../../renderer/src/components/MainView.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { dialogOf, fakeViewport, plugins } from './helpers';

beforeAll(() => fakeViewport());
afterEach(() => {
  document.body.innerHTML = '';
  delete (globalThis as { tickline?: unknown }).tickline;
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

/** Opens the dialog; returns the view, its "remove this device's copy" box and its Sign out button. */
async function openDialog() {
  const { wrapper, button } = mainView();
  await button.trigger('click');
  const dialog = await dialogOf(wrapper);
  const box = dialog.get<HTMLInputElement>('input[type="checkbox"]');
  const label = dialog.get('label');
  const confirm = dialog.findAll('button').find((b) => b.text() === 'Sign out')!;
  return { wrapper, dialog, box, label, confirm };
}

describe("sign out: remove this device's copy of the history", () => {
  it('in a browser the box is there, labelled and explained, and on', async () => {
    const { dialog, box, label } = await openDialog();
    expect(label.text()).toBe("Remove this device's copy of the history");
    expect(label.element.contains(box.element)).toBe(true);
    const hint = document.getElementById(box.attributes('aria-describedby')!);
    expect(hint?.textContent).toContain('drafts and muted conversations');
    expect(dialog.element.contains(hint)).toBe(true);
    expect(box.element.checked).toBe(true);
  });

  it('confirming with the box on asks to remove the copy', async () => {
    const { wrapper, confirm } = await openDialog();
    await confirm.trigger('click');
    expect(wrapper.emitted('sign-out')).toEqual([[true]]);
  });

  it('unchecked, the copy is kept', async () => {
    const { wrapper, box, confirm } = await openDialog();
    await box.setValue(false);
    await confirm.trigger('click');
    expect(wrapper.emitted('sign-out')).toEqual([[false]]);
  });

  it('in the desktop app the box is off by default, and can be turned on', async () => {
    (globalThis as { tickline?: unknown }).tickline = {};
    const first = await openDialog();
    expect(first.box.element.checked).toBe(false);
    await first.confirm.trigger('click');
    expect(first.wrapper.emitted('sign-out')).toEqual([[false]]);
    document.body.innerHTML = '';

    const second = await openDialog();
    await second.box.setValue(true);
    await second.confirm.trigger('click');
    expect(second.wrapper.emitted('sign-out')).toEqual([[true]]);
  });
});
