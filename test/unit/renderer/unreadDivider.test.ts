// @vitest-environment happy-dom
/**
 * Issue 11 defect 7: opening a conversation with unread messages shows the
 * "New messages" divider above the first unread one and scrolls there (not to
 * the newest); while scrolled up, "Jump to latest" is offered, and messages
 * that arrive are counted in a "new messages below" pill instead of moving the
 * reader.
 */
import { mount } from '@vue/test-utils';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredMessage } from '../../../client/storage';
import MessageList from '../../../renderer/src/components/MessageList.vue';
import { calibrate } from '../../support/calibrate';
import { dispatchScrollEvents, fakeViewport, message, plugins } from './helpers';

const ROW = 100;
const COUNT = 40;

/** Gives the virtual list real geometry (also for the calibration below). */
function installGeometry(): void {
  fakeViewport();
  // Every message row is 100 px tall, so the virtual list has real geometry.
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('row') ? ROW : 0;
    },
  });
  // The history's content is as tall as the virtual list says.
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
    configurable: true,
    get(this: HTMLElement) {
      const sizer = this.classList.contains('scroller') ? this.firstElementChild : null;
      return sizer instanceof HTMLElement ? parseFloat(sizer.style.height) || 0 : 0;
    },
  });
}
installGeometry();
// The virtual list renders the rows at the scroll position its `scroll` events
// report: without them, a scroll the list makes itself (the pill's jump) left
// the rows where they were, unless a debounced read of the position (150 ms
// after the test's last scroll event) happened to come after it — it did on
// an idle machine, not on a busy one.
const undoScrollEvents = dispatchScrollEvents();
afterAll(() => {
  undoScrollEvents();
  Reflect.deleteProperty(HTMLElement.prototype, 'offsetHeight');
  Reflect.deleteProperty(HTMLElement.prototype, 'scrollHeight');
});
afterEach(() => {
  document.body.innerHTML = '';
});

/** The scroll position at the bottom of the history. */
const bottom = (el: HTMLElement) => el.scrollHeight - el.clientHeight;
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** 40 messages, the last `unread` of them incoming and unread. */
async function history(unread: number | null) {
  const messages: StoredMessage[] = Array.from({ length: COUNT }, (_, i) =>
    message(unread !== null && i >= COUNT - unread ? { direction: 'in' } : { status: 'delivered' }),
  );
  const first = unread === null ? undefined : messages[COUNT - unread]!;
  const wrapper = mount(MessageList, {
    ...plugins(),
    props: { messages, firstUnreadKey: first?.key ?? null },
    attachTo: document.body,
  });
  const log = wrapper.get('[role="log"]');
  const el = log.element as HTMLElement;
  await frame();
  await frame();
  const scrollTo = async (top: number) => {
    el.scrollTop = top;
    await log.trigger('scroll');
  };
  /** Where the row of message `key` starts. */
  const rowTop = (id: string) => {
    const row = wrapper.get(`[data-msg-id="${id}"]`).element.closest('.row') as HTMLElement;
    return Number(/translateY\((-?[\d.]+)px\)/.exec(row.style.transform)?.[1]);
  };
  return { wrapper, el, messages, first, scrollTo, rowTop };
}

/**
 * The work here is rendering: mounting the 40-message history and every
 * change of it renders its rows (in happy-dom), and a scroll settles over
 * a few animation frames. One mount with its first two frames is timed here
 * (100–200 ms on an idle 2-core machine): a wait for the list to settle gets
 * its timeout (vitest's `waitFor` default of 1 s is not enough on a busy
 * machine), a test (a mount, up to three changes, scrolls) six times that.
 */
const rendering = await calibrate('mounting the 40-message history, two frames', async () => {
  const { wrapper } = await history(null);
  wrapper.unmount();
});
/** For `vi.waitFor` of the list settling after a scroll or a change. */
const SETTLED = { timeout: rendering.timeout(1), interval: 20 };
const SIX = { timeout: rendering.timeout(6) };

describe('the unread divider', SIX, () => {
  it('sits above the first unread message, once, and the history opens there', async () => {
    const { wrapper, el, first, rowTop } = await history(25);
    const dividers = wrapper.findAll('[data-testid="unread-divider"]');
    expect(dividers).toHaveLength(1);
    const row = dividers[0]!.element.closest('.row')!;
    expect(row.textContent).toMatch(new RegExp(`^New messages.*${first!.body}`));
    // Opened at the divider (index 15 starts at 12 + 15 × 100 px), not at the newest.
    await vi.waitFor(() => expect(el.scrollTop).toBe(rowTop(first!.id)), SETTLED);
    expect(el.scrollTop).toBe(1512);
    expect(wrapper.find('[data-testid="jump-latest"]').exists()).toBe(true);
  });

  it('is absent without unread messages, and the history opens at the newest', async () => {
    const { wrapper, el } = await history(null);
    await vi.waitFor(() => expect(el.scrollTop).toBe(bottom(el)), SETTLED);
    expect(wrapper.find('[data-testid="unread-divider"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="jump-latest"]').exists()).toBe(false);
  });
});

describe('while the reader is scrolled up', SIX, () => {
  it('"Jump to latest" shows, and takes the reader to the newest message', async () => {
    const { wrapper, el, scrollTo } = await history(null);
    await vi.waitFor(() => expect(el.scrollTop).toBe(bottom(el)), SETTLED);
    await scrollTo(1000);
    const jump = wrapper.get('[data-testid="jump-latest"]');
    expect(jump.attributes('aria-label')).toBe('Jump to latest');
    await jump.trigger('click');
    await vi.waitFor(() => expect(el.scrollTop).toBe(bottom(el)), SETTLED);
    await scrollTo(bottom(el));
    expect(wrapper.find('[data-testid="jump-latest"]').exists()).toBe(false);
  });

  it('a message that arrives is counted in the pill and does not move the reader', async () => {
    const { wrapper, el, messages, scrollTo, rowTop } = await history(null);
    await vi.waitFor(() => expect(el.scrollTop).toBe(bottom(el)), SETTLED);
    await scrollTo(1000);
    // Where the reader is: the offset of the message at the top of the view.
    const place = () => el.scrollTop - rowTop(messages[10]!.id);
    const before = place();
    const first = message({ direction: 'in' });
    await wrapper.setProps({ messages: [...messages, first] } as Record<string, unknown>);
    await frame();
    expect(wrapper.get('[data-testid="new-below"]').text()).toBe('1 new message below');
    expect(el.scrollTop).toBe(1000);
    // Older pages are not "new below"; every newer incoming message is.
    const older = message({ direction: 'in', posA: -1, seq: -1 });
    const more = Array.from({ length: 9 }, () => message({ direction: 'in' }));
    await wrapper.setProps({ messages: [older, ...messages, first, ...more] } as Record<
      string,
      unknown
    >);
    await frame();
    expect(wrapper.get('[data-testid="new-below"]').text()).toBe('10 new messages below');
    expect(place()).toBe(before); // the older message above kept the reader's place
    // The pill takes the reader to the first new message (not to the end: 9 more follow it).
    await wrapper.get('[data-testid="new-below"]').trigger('click');
    await vi.waitFor(() => expect(el.scrollTop).toBe(rowTop(first.id)), SETTLED);
    expect(el.scrollTop).toBeLessThan(rowTop(more[8]!.id));
    expect(wrapper.find('[data-testid="new-below"]').exists()).toBe(false);
  });

  it('at the bottom, arriving messages show no pill', async () => {
    const { wrapper, el, messages, scrollTo } = await history(null);
    await vi.waitFor(() => expect(el.scrollTop).toBe(bottom(el)), SETTLED);
    await scrollTo(bottom(el));
    await wrapper.setProps({ messages: [...messages, message({ direction: 'in' })] } as Record<
      string,
      unknown
    >);
    await frame();
    expect(wrapper.find('[data-testid="new-below"]').exists()).toBe(false);
  });
});
