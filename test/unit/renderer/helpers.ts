import { createPinia, setActivePinia, type Pinia } from 'pinia';
import type { Plugin } from 'vue';
import type { StoredMessage } from '../../../client/storage';
import type { OutStatus } from '../../../client/status';
import { directConversationId } from '../../../protocol';
import { createAppI18n } from '../../../renderer/src/i18n';

/** Plugins every mounted component needs: a fresh Pinia and English i18n. */
export function plugins(): { pinia: Pinia; global: { plugins: Plugin[] } } {
  const pinia = createPinia();
  setActivePinia(pinia);
  return { pinia, global: { plugins: [pinia, createAppI18n('en-US') as Plugin] } };
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
