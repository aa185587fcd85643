// @vitest-environment happy-dom
/**
 * The confusables table is a chunk of its own, loaded when the chat starts:
 * nobody is listed before names can be compared by their look, and a table
 * that cannot be loaded shows every username (and says why in Diagnostics).
 */
import mitt from 'mitt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState, ImClientEvents } from '../../../client/imClient';
import type * as ImClientModule from '../../../client/imClient';
import type { User } from '../../../protocol';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { plugins } from './helpers';

vi.mock('../../../client/imClient', async (importOriginal) => {
  const real = await importOriginal<typeof ImClientModule>();
  class FakeImClient {
    readonly events = mitt<ImClientEvents>();
    connection: ConnectionState = 'connecting';
    async start(): Promise<void> {}
    close(): void {}
    async failedMessages(): Promise<unknown[]> {
      return [];
    }
    async conversations(): Promise<unknown[]> {
      return [];
    }
  }
  return { ...real, ImClient: FakeImClient };
});

/** The contact list this device saw last time: Alice, and someone whose name looks like hers. */
const CACHED: User[] = [
  { userId: 'u-alice', username: 'alice', displayName: 'Alice', online: false },
  { userId: 'u-mallory', username: 'mallory', displayName: '\u0410lice', online: false },
];

vi.mock('../../../client/dexieStorage', () => ({
  DexieStorage: class {
    async getMeta(): Promise<User[]> {
      return CACHED;
    }
    async setMeta(): Promise<void> {}
    close(): void {}
  },
}));

const SESSION = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
const HOOKS = { onIncoming: () => {}, onSessionRejected: () => {} };

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.doUnmock('../../../protocol/skeleton');
});

describe('look-alike names in the chat', () => {
  it('the first list after start already tells the Cyrillic "Аlice" from Alice', async () => {
    plugins();
    const chat = useChatStore();
    await chat.start(SESSION, 'http://h:1', HOOKS);
    expect(chat.contacts.map((c) => c.name)).toEqual(['Alice (@alice)', '\u0410lice (@mallory)']);
    expect(chat.nameOf('u-mallory')).toBe('\u0410lice (@mallory)');
    chat.stop();
  });
});

describe('a table that cannot be loaded', () => {
  it('shows every username, records why, and is tried again next time', async () => {
    vi.resetModules();
    vi.doMock('../../../protocol/skeleton', () => {
      throw new Error('chunk not found');
    });
    const { lookAlike, loadLookAlike } = await import('../../../renderer/src/lib/lookAlike');
    const errors: unknown[] = [];
    await loadLookAlike((e) => errors.push(e));
    expect(lookAlike.value).toBe('failed');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);

    vi.doUnmock('../../../protocol/skeleton');
    await loadLookAlike((e) => errors.push(e));
    expect(typeof lookAlike.value).toBe('function');
    expect(errors).toHaveLength(1);
  });

  it('the chat store records it in Diagnostics', async () => {
    vi.resetModules();
    vi.doMock('../../../protocol/skeleton', () => {
      throw new Error('chunk not found');
    });
    const { useChatStore: freshChat } = await import('../../../renderer/src/stores/chat');
    const { useDiagnosticsStore: freshDiagnostics } =
      await import('../../../renderer/src/stores/diagnostics');
    const { createPinia, setActivePinia } = await import('pinia');
    setActivePinia(createPinia());
    const chat = freshChat();
    await chat.start(SESSION, 'http://h:1', HOOKS);
    expect(chat.contacts.map((c) => c.name)).toEqual(['Alice (@alice)', '\u0410lice (@mallory)']);
    expect(chat.nameOf('me')).toBe('Me (@me)');
    expect(freshDiagnostics().errors.map((e) => e.source)).toEqual(['names']);
    chat.stop();
  });
});
