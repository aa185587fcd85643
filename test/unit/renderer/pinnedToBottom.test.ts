// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import MessageList from '../../../renderer/src/components/MessageList.vue';
import { fakeViewport, message, plugins } from './helpers';

/** A ResizeObserver the test fires by hand (happy-dom's never fires). */
class FakeResizeObserver {
  static all: FakeResizeObserver[] = [];
  readonly targets = new Set<Element>();
  constructor(private readonly callback: ResizeObserverCallback) {
    FakeResizeObserver.all.push(this);
  }
  observe(target: Element): void {
    this.targets.add(target);
  }
  unobserve(target: Element): void {
    this.targets.delete(target);
  }
  disconnect(): void {
    this.targets.clear();
  }
  /** Reports that `target` changed size. */
  static resize(target: Element): void {
    for (const o of FakeResizeObserver.all) {
      if (o.targets.has(target)) o.callback([], o as unknown as ResizeObserver);
    }
  }
}

beforeAll(() => fakeViewport());
afterEach(() => {
  vi.unstubAllGlobals();
  FakeResizeObserver.all = [];
  document.body.innerHTML = '';
});

/** Resolves after the next animation frame. */
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** The history, opened at its newest message, with its scroller's geometry under the test's control. */
async function history() {
  vi.stubGlobal('ResizeObserver', FakeResizeObserver);
  const messages = Array.from({ length: 30 }, () => message({ status: 'delivered' }));
  const wrapper = mount(MessageList, {
    ...plugins(),
    props: { messages },
    attachTo: document.body,
  });
  const el = wrapper.get('[role="log"]').element as HTMLElement;
  const geometry = { height: 600, content: 3000 };
  Object.defineProperty(el, 'clientHeight', { configurable: true, get: () => geometry.height });
  Object.defineProperty(el, 'scrollHeight', { configurable: true, get: () => geometry.content });
  // Opening the conversation scrolls to the newest message; let that land.
  await vi.waitFor(() => expect(el.scrollTop).toBe(2400));
  await frame();
  await frame();
  const scrollTo = async (top: number) => {
    el.scrollTop = top;
    await wrapper.get('[role="log"]').trigger('scroll');
  };
  return { wrapper, el, geometry, scrollTo };
}

describe('the history stays pinned to the bottom while the reader is there', () => {
  it('when a notice appears above it and the history gets shorter', async () => {
    const { el, geometry, scrollTo } = await history();
    await scrollTo(2400); // at the bottom
    geometry.height = 520; // the failure or throttle notice took 80 px
    FakeResizeObserver.resize(el);
    expect(el.scrollTop).toBe(2480);
  });

  it('when the content grows (a new message, long text, an image)', async () => {
    const { el, geometry, scrollTo } = await history();
    await scrollTo(2400);
    geometry.content = 3300;
    FakeResizeObserver.resize(el.firstElementChild!);
    expect(el.scrollTop).toBe(2700);
  });

  it('within a few pixels of the bottom still counts as at the bottom', async () => {
    const { el, geometry, scrollTo } = await history();
    await scrollTo(2380);
    geometry.height = 520;
    FakeResizeObserver.resize(el);
    expect(el.scrollTop).toBe(2480);
  });

  it('but leaves a reader who scrolled up where they are', async () => {
    const { el, geometry, scrollTo } = await history();
    await scrollTo(900);
    geometry.height = 520;
    FakeResizeObserver.resize(el);
    geometry.content = 3300;
    FakeResizeObserver.resize(el.firstElementChild!);
    expect(el.scrollTop).toBe(900);
  });
});

describe('the history from the keyboard', () => {
  it('is a focusable, labelled log', async () => {
    const { el } = await history();
    expect(el.getAttribute('role')).toBe('log');
    expect(el.getAttribute('tabindex')).toBe('0');
    expect(el.getAttribute('aria-label')).toBe('Messages');
    el.focus();
    expect(document.activeElement).toBe(el);
  });

  it('scrolls with PageUp, PageDown, Home and End', async () => {
    const { wrapper, el, scrollTo } = await history();
    const log = wrapper.get('[role="log"]');
    await scrollTo(2400);
    await log.trigger('keydown', { key: 'PageUp' });
    expect(el.scrollTop).toBe(2400 - 540);
    await log.trigger('keydown', { key: 'PageDown' });
    expect(el.scrollTop).toBe(2400);
    await log.trigger('keydown', { key: 'Home' });
    expect(el.scrollTop).toBe(0);
    await log.trigger('keydown', { key: 'PageUp' });
    expect(el.scrollTop).toBe(0);
  });
});
