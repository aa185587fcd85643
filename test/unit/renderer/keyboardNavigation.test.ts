// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import ContactList from '../../../renderer/src/components/ContactList.vue';
import MainView from '../../../renderer/src/components/MainView.vue';
import { useChatStore, type Contact } from '../../../renderer/src/stores/chat';
import { fakeViewport, plugins } from './helpers';

beforeAll(() => fakeViewport());
afterEach(() => {
  document.body.innerHTML = '';
});

/** A person in the contact list. */
function person(id: string): Contact {
  return {
    id,
    kind: 'user',
    name: id[0]!.toUpperCase() + id.slice(1),
    user: { userId: id, username: id, displayName: id, online: false },
    online: false,
    left: false,
    unread: 0,
    failed: 0,
    last: undefined,
    activity: 0,
  };
}

const PEOPLE = ['alice', 'bob', 'carol', 'dave'].map(person);

/** The contact list, attached to the document so focus works. */
function list(activeId: string | null = null) {
  const wrapper = mount(ContactList, {
    ...plugins(),
    props: { contacts: PEOPLE, total: PEOPLE.length, activeId, filter: '' },
    attachTo: document.body,
  });
  const buttons = () => wrapper.findAll('button.entry');
  const tabStops = () =>
    buttons()
      .filter((b) => b.attributes('tabindex') === '0')
      .map((b) => b.element.closest('li')?.getAttribute('data-user-id'));
  const focused = () => document.activeElement?.closest('li')?.getAttribute('data-user-id');
  const press = async (key: string) => {
    await wrapper.get('ul').trigger('keydown', { key });
    await flushPromises(); // the focus moves after Vue's next render
  };
  return { wrapper, buttons, tabStops, focused, press };
}

describe('the contact list is one Tab stop with arrow keys (roving tabindex)', () => {
  it('has exactly one Tab stop: the first entry, or the open conversation', () => {
    expect(list().tabStops()).toEqual(['alice']);
    document.body.innerHTML = '';
    expect(list('carol').tabStops()).toEqual(['carol']);
  });

  it('ArrowDown/ArrowUp move focus and the Tab stop, and stop at the ends', async () => {
    const { buttons, tabStops, focused, press } = list();
    (buttons()[0]!.element as HTMLElement).focus();
    await press('ArrowDown');
    expect(focused()).toBe('bob');
    expect(tabStops()).toEqual(['bob']);
    await press('ArrowDown');
    expect(focused()).toBe('carol');
    await press('ArrowUp');
    await press('ArrowUp');
    await press('ArrowUp');
    expect(focused()).toBe('alice');
    expect(tabStops()).toEqual(['alice']);
  });

  it('Home and End jump to the first and last entry', async () => {
    const { buttons, tabStops, focused, press } = list('bob');
    (buttons()[1]!.element as HTMLElement).focus();
    await press('End');
    expect(focused()).toBe('dave');
    await press('ArrowDown');
    expect(focused()).toBe('dave');
    await press('Home');
    expect(focused()).toBe('alice');
    expect(tabStops()).toEqual(['alice']);
  });

  it('an entry focused by other means becomes the Tab stop; Enter/click opens it', async () => {
    const { wrapper, buttons, tabStops } = list();
    await buttons()[2]!.trigger('focus');
    expect(tabStops()).toEqual(['carol']);
    await buttons()[2]!.trigger('click');
    expect(wrapper.emitted('select')).toEqual([['carol']]);
    // A native <button>: Enter and Space activate it.
    expect(buttons()[2]!.element.tagName).toBe('BUTTON');
  });

  it('other keys are left alone (typing in the filter still works)', async () => {
    const { buttons, focused, press } = list();
    (buttons()[0]!.element as HTMLElement).focus();
    await press('a');
    expect(focused()).toBe('alice');
  });
});

describe('landmarks', () => {
  it('the main view has a main region and an aside', () => {
    const setup = plugins();
    const chat = useChatStore();
    chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
    const wrapper = mount(MainView, { ...setup, attachTo: document.body });
    expect(wrapper.findAll('main')).toHaveLength(1);
    expect(wrapper.findAll('aside')).toHaveLength(1);
    expect(wrapper.get('main').find('.pane').exists()).toBe(true);
  });
});
