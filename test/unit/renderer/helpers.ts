import { vi } from 'vitest';
import type { DOMWrapper, VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import type { Plugin } from 'vue';
import { compareMessages } from '../../../client/order';
import type { HistoryQuery, StoredMessage } from '../../../client/storage';
import type { OutStatus } from '../../../client/status';
import { directConversationId } from '../../../protocol';
import { createAppI18n, type AppI18n, type AppLocale } from '../../../renderer/src/i18n';
import { i18nTarget, localeSwitcher } from '../../../renderer/src/i18n/switch';

/** Plugins every mounted component needs: a fresh Pinia and English i18n. */
export function plugins(): { pinia: Pinia; global: { plugins: Plugin[] } } {
  const pinia = createPinia();
  setActivePinia(pinia);
  return { pinia, global: { plugins: [pinia, createAppI18n() as Plugin] } };
}

/** Puts `locale` in force (its messages loaded first, as the app does) in the i18n of `setup`. */
export async function inLocale(
  setup: { global: { plugins: Plugin[] } },
  locale: AppLocale,
): Promise<void> {
  const i18n = setup.global.plugins[1] as unknown as AppI18n;
  if (!(await localeSwitcher(i18nTarget(i18n))(locale))) throw new Error(`${locale} not loaded`);
}

/** The open dialog in `wrapper`, once it has appeared (dialogs are loaded on first use). */
export async function dialogOf(wrapper: VueWrapper): Promise<Omit<DOMWrapper<Element>, 'exists'>> {
  return vi.waitFor(() => wrapper.get('[role="dialog"]'));
}

/** The conversation of the test messages. */
export const PEER_CONV = directConversationId('me', 'peer');

let seq = 0;

/** A stored message for tests. */
export function message(
  overrides: Partial<StoredMessage> & { status?: OutStatus } = {},
): StoredMessage {
  seq++;
  const direction = overrides.direction ?? 'out';
  const id = overrides.id ?? `m${seq}`;
  const from = direction === 'out' ? 'me' : 'peer';
  const at = Date.UTC(2025, 0, 1, 12, 0, seq);
  return {
    key: `${from}/${id}`,
    id,
    from,
    to: direction === 'out' ? 'peer' : 'me',
    conv: PEER_CONV,
    peer: 'peer',
    direction,
    body: `message ${seq}`,
    seq,
    posA: seq,
    posB: 0,
    ts: at,
    ...(direction === 'out' ? { status: 'pending' as OutStatus } : {}),
    ...overrides,
  };
}

/** Gives every element a viewport height, so the virtualized list renders rows in happy-dom. */
export function fakeViewport(height = 600): void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get: () => height,
  });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
    configurable: true,
    get: () => 800,
  });
}

/**
 * Makes every change of an element's `scrollTop` (the page's own, or a
 * scroll the app asks for with `scrollTo`) dispatch a `scroll` event on the
 * next animation frame, as a browser does; happy-dom dispatches none, so a
 * component that follows the scroll position (the virtual list) would only
 * hear of the scrolls a test triggers by hand. Returns the undo.
 */
export function dispatchScrollEvents(): () => void {
  const own = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop');
  if (!own?.get || !own.set) throw new Error('happy-dom has no scrollTop accessor to wrap');
  const { get, set } = own;
  Object.defineProperty(HTMLElement.prototype, 'scrollTop', {
    configurable: true,
    get(this: HTMLElement) {
      return get.call(this);
    },
    set(this: HTMLElement, value: number) {
      const before = get.call(this);
      set.call(this, value);
      if (get.call(this) !== before) {
        requestAnimationFrame(() => this.dispatchEvent(new Event('scroll')));
      }
    },
  });
  return () => Reflect.deleteProperty(HTMLElement.prototype, 'scrollTop');
}

/** A history source over `all` (newest first, strictly before the cursor) that counts its pages. */
export function historyOf(all: StoredMessage[]) {
  const sorted = [...all].sort((a, b) => compareMessages(b, a));
  const source = async (_conv: string, q: HistoryQuery): Promise<StoredMessage[]> => {
    source.pages++;
    const before = q.before;
    return sorted.filter((m) => !before || compareMessages(m, before) < 0).slice(0, q.limit);
  };
  source.pages = 0;
  return source;
}

/** carol's conversation with me (the second contact of the failure tests). */
export const CAROL_CONV = directConversationId('me', 'carol');

/** A failed message of mine to `peer` (default) or to carol. */
export function failedTo(id: string, to: 'peer' | 'carol' = 'peer'): StoredMessage {
  return message({
    id,
    to,
    peer: to,
    conv: to === 'peer' ? PEER_CONV : CAROL_CONV,
    status: 'failed',
    seq: undefined,
  });
}
