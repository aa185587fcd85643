// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';
import { usePhoneBack } from '../../../renderer/src/lib/phoneBack';

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** A host for the composable at phone width (`narrow`) or not; `open` is the conversation. */
function host(narrow: boolean) {
  vi.spyOn(window, 'matchMedia').mockImplementation(
    (query: string) => ({ matches: narrow, media: query }) as MediaQueryList,
  );
  const push = vi.spyOn(history, 'pushState');
  const back = vi.spyOn(history, 'back').mockImplementation(() => undefined);
  const open = ref(false);
  const wrapper = mount(
    defineComponent({
      setup() {
        usePhoneBack(
          () => open.value,
          () => (open.value = false),
        );
        return () => h('div');
      },
    }),
    { attachTo: document.body },
  );
  return { wrapper, open, push, back };
}

describe('Back at phone width', () => {
  it('opening a conversation pushes a history entry; Back (popstate) closes it', async () => {
    const { open, push, back } = host(true);
    open.value = true;
    await nextTick();
    expect(push).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(open.value).toBe(false);
    await nextTick();
    expect(back).not.toHaveBeenCalled(); // the browser already went back
  });

  it('closing it with the header button takes the entry off again', async () => {
    const { open, back } = host(true);
    open.value = true;
    await nextTick();
    open.value = false;
    await nextTick();
    expect(back).toHaveBeenCalledTimes(1);
  });

  it('at desktop width nothing is pushed and Back is left to the browser', async () => {
    const { open, push } = host(false);
    open.value = true;
    await nextTick();
    expect(push).not.toHaveBeenCalled();
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(open.value).toBe(true);
  });

  it('after unmounting, popstate no longer closes anything', async () => {
    const { wrapper, open } = host(true);
    open.value = true;
    await nextTick();
    wrapper.unmount();
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(open.value).toBe(true);
  });
});
