// @vitest-environment happy-dom
/**
 * Errors are seen: what the delivery engine reports with its `error` event
 * (a failed storage write, ack or pull), and what the renderer's own
 * background work fails with, reaches the diagnostics store, is written to
 * the console, and shows in Settings → Diagnostics, newest first. "Copy to
 * clipboard" copies a plain-text report with the errors, the versions and the
 * server, never the session token. The store keeps a bounded number of
 * entries.
 */
import { flushPromises, mount } from '@vue/test-utils';
import mitt from 'mitt';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { ConnectionState, ImClientEvents } from '../../../client/imClient';
import type * as ImClientModule from '../../../client/imClient';
import { RequestError } from '../../../client/imClient';
import { version } from '../../../package.json';
import { PROTOCOL_VERSION } from '../../../protocol';
import DiagnosticsSection from '../../../renderer/src/components/DiagnosticsSection.vue';
import SettingsPanel from '../../../renderer/src/components/SettingsPanel.vue';
import { catchUnhandled } from '../../../renderer/src/lib/unhandledErrors';
import { useChatStore } from '../../../renderer/src/stores/chat';
import {
  MAX_CONNECTION_CHANGES,
  MAX_ERRORS,
  useDiagnosticsStore,
} from '../../../renderer/src/stores/diagnostics';
import { useDraftsStore } from '../../../renderer/src/stores/drafts';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { inLocale, plugins } from './helpers';

/** The engines the chat store created (a stand-in for ImClient: events only, no socket). */
const engines = vi.hoisted(() => ({
  made: [] as { events: ReturnType<typeof mitt<ImClientEvents>> }[],
  conversations: async (): Promise<unknown[]> => [],
}));

vi.mock('../../../client/imClient', async (importOriginal) => {
  const real = await importOriginal<typeof ImClientModule>();
  class FakeImClient {
    readonly events = mitt<ImClientEvents>();
    connection: ConnectionState = 'connecting';
    constructor() {
      engines.made.push(this);
    }
    async start(): Promise<void> {}
    close(): void {}
    async failedMessages(): Promise<unknown[]> {
      return [];
    }
    conversations(): Promise<unknown[]> {
      return engines.conversations();
    }
    conversationWith(userId: string): string {
      return `dm:${userId}`;
    }
  }
  return { ...real, ImClient: FakeImClient };
});

vi.mock('../../../client/dexieStorage', () => ({
  DexieStorage: class {
    async getMeta(): Promise<undefined> {
      return undefined;
    }
    async setMeta(): Promise<void> {}
    close(): void {}
  },
}));

const URL = 'http://192.168.1.5:7420';
const TOKEN = 'tok-3f9a1c2b7d';
let consoleError: MockInstance<typeof console.error>;

beforeEach(() => {
  engines.made.length = 0;
  engines.conversations = async () => [];
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
  // The HTTP API: the contact list (loaded once connected), and what Settings loads.
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.endsWith('/api/users')) return Response.json({ users: [] });
    if (url.endsWith('/api/devices')) return Response.json({ devices: [] });
    return Response.json({ readReceipts: true });
  });
  // happy-dom has a clipboard but no secure context: the app would fall back to execCommand.
  Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Signed in to `URL` as ann with `TOKEN`; the chat store's engine (the stand-in). */
async function signedIn() {
  const setup = plugins();
  const session = useSessionStore();
  session.serverUrl = URL;
  session.session = { userId: 'ann', username: 'ann', displayName: 'Ann', token: TOKEN };
  const chat = useChatStore();
  await chat.start(session.session, URL, { onIncoming: () => {}, onSessionRejected: () => {} });
  const engine = engines.made.at(-1)!;
  return { setup, chat, engine, diagnostics: useDiagnosticsStore() };
}

describe('errors are seen', () => {
  it('an engine error event reaches the diagnostics list, the console and Settings → Diagnostics', async () => {
    const { setup, chat, engine, diagnostics } = await signedIn();
    engine.events.emit('connection', 'connected');
    engine.events.emit('error', new RequestError('internal', 'ack:R not stored: disk full'));
    engine.events.emit('error', new Error('pull failed: timeout'));

    expect(diagnostics.errors.map(({ source, message }) => ({ source, message }))).toEqual([
      { source: 'engine', message: 'RequestError internal: ack:R not stored: disk full' },
      { source: 'engine', message: 'pull failed: timeout' },
    ]);
    expect(consoleError).toHaveBeenCalledWith(
      '[tickline] engine: pull failed: timeout',
      expect.any(String),
    );

    const wrapper = mount(SettingsPanel, setup).get('[data-testid="diagnostics"]');
    expect(wrapper.get('h3').text()).toBe('Diagnostics');
    const rows = wrapper.findAll('[data-testid="diagnostics-error"]');
    // Newest first, each with its time.
    expect(rows.map((r) => r.get('.message').text())).toEqual([
      'pull failed: timeout',
      'RequestError internal: ack:R not stored: disk full',
    ]);
    expect(rows[0]!.get('time').attributes('datetime')).toBe(
      new Date(diagnostics.errors[1]!.at).toISOString(),
    );
    expect(rows[0]!.get('.source').text()).toBe('engine');
    expect(wrapper.find('[data-testid="diagnostics-no-errors"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="diagnostics-server-url"]').text()).toBe(URL);
    expect(wrapper.findAll('[data-testid="diagnostics-change"]').map((r) => r.text())).toEqual([
      expect.stringContaining('Connected'),
      expect.stringContaining('Connecting…'),
    ]);
    chat.stop();
  });

  it('a later error shows in an open section; a stopped engine reports nothing', async () => {
    const { setup, chat, engine, diagnostics } = await signedIn();
    const wrapper = mount(DiagnosticsSection, setup);
    expect(wrapper.get('[data-testid="diagnostics-no-errors"]').text()).toBe('No errors recorded.');
    engine.events.emit('error', new Error('storage write failed'));
    await flushPromises();
    expect(wrapper.get('[data-testid="diagnostics-error"]').text()).toContain(
      'storage write failed',
    );
    chat.stop();
    engine.events.emit('error', new Error('after sign-out'));
    expect(diagnostics.errors.map((e) => e.message)).toEqual(['storage write failed']);
  });

  it('failures of the renderer’s own background work are recorded, not swallowed', async () => {
    engines.conversations = async () => {
      throw new Error('IndexedDB read failed');
    };
    const { chat, diagnostics } = await signedIn();
    await flushPromises();
    expect(diagnostics.errors.map((e) => [e.source, e.message])).toContainEqual([
      'conversations',
      'IndexedDB read failed',
    ]);

    const drafts = useDraftsStore();
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('quota exceeded', 'QuotaExceededError');
    });
    drafts.set('peer', 'half a thought');
    drafts.set('peer', 'half a thought, longer');
    // The same failure twice in a row is one entry, counted.
    expect(diagnostics.errors.at(-1)).toMatchObject({
      source: 'drafts',
      message: 'QuotaExceededError: quota exceeded',
      count: 2,
    });
    chat.stop();
  });

  it('errors nothing else caught (Vue, uncaught, unhandled rejections) are recorded', () => {
    plugins();
    const diagnostics = useDiagnosticsStore();
    const app = { config: {} } as Parameters<typeof catchUnhandled>[0];
    const target = new EventTarget() as Window;
    catchUnhandled(app, diagnostics.record, target);
    app.config.errorHandler!(new Error('render failed'), null, 'render function');
    target.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'no reason' }));
    target.dispatchEvent(Object.assign(new Event('error'), { error: new TypeError('x is null') }));
    expect(diagnostics.errors.map((e) => [e.source, e.message])).toEqual([
      ['vue: render function', 'render failed'],
      ['unhandled', 'no reason'],
      ['uncaught', 'TypeError: x is null'],
    ]);
  });

  it('speaks Simplified Chinese too', async () => {
    const setup = plugins();
    await inLocale(setup, 'zh-CN');
    const wrapper = mount(DiagnosticsSection, setup);
    expect(wrapper.get('h3').text()).toBe('诊断');
    expect(wrapper.text()).toContain('没有记录到错误。');
    expect(wrapper.get('[data-testid="diagnostics-copy"]').text()).toBe('复制到剪贴板');
  });
});

describe('the diagnostics report', () => {
  it('copies the errors, the versions and the server, never the session token', async () => {
    const { setup, chat, engine } = await signedIn();
    engine.events.emit('connection', 'connected');
    engine.events.emit('error', new Error(`socket refused auth ${TOKEN} (handshake)`));
    const wrapper = mount(DiagnosticsSection, setup);
    await wrapper.get('[data-testid="diagnostics-copy"]').trigger('click');
    await flushPromises();

    const report = await navigator.clipboard.readText();
    expect(report).toContain('socket refused auth [hidden] (handshake)');
    expect(report).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}\[engine\]/);
    expect(report).toContain(`App: ${version}`);
    expect(report).toContain(`Protocol: ${PROTOCOL_VERSION}`);
    expect(report).toContain(`User agent: ${navigator.userAgent}`);
    expect(report).toContain(`URL: ${URL}`);
    expect(report).toContain('Connection: connected');
    expect(report).toMatch(/Connection history \(2, newest first\)\n.*connected\n.*connecting/);
    expect(report).not.toContain(TOKEN);
    // Nor does the list on screen show it.
    expect(wrapper.text()).not.toContain(TOKEN);
    expect(wrapper.get('[role="status"]').text()).toBe('Copied. Paste it into your bug report.');
    chat.stop();
  });

  it('says so when nothing went wrong, and when the clipboard refused', async () => {
    const setup = plugins();
    vi.spyOn(navigator.clipboard, 'writeText').mockRejectedValue(new Error('denied'));
    // …and happy-dom has no execCommand: the fallback fails too.
    const wrapper = mount(DiagnosticsSection, setup);
    await wrapper.get('[data-testid="diagnostics-copy"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'Could not copy: the browser did not allow it.',
    );
    expect(wrapper.get('[data-testid="diagnostics-server-url"]').text()).toBe('Not chosen yet');
  });
});

describe('the diagnostics store is bounded', () => {
  it(`keeps the last ${MAX_ERRORS} errors and the last ${MAX_CONNECTION_CHANGES} connection changes`, () => {
    const setup = plugins();
    const diagnostics = useDiagnosticsStore();
    for (let i = 1; i <= MAX_ERRORS + 50; i++)
      diagnostics.record('engine', new Error(`failure #${i}`));
    expect(diagnostics.errors).toHaveLength(MAX_ERRORS);
    expect(diagnostics.errors[0]!.message).toBe('failure #51');
    expect(diagnostics.errors.at(-1)!.message).toBe(`failure #${MAX_ERRORS + 50}`);

    const states: ConnectionState[] = ['connecting', 'connected', 'offline'];
    for (let i = 0; i < MAX_CONNECTION_CHANGES * 3; i++) diagnostics.noteConnection(states[i % 3]!);
    expect(diagnostics.connections).toHaveLength(MAX_CONNECTION_CHANGES);
    expect(diagnostics.connections.at(-1)!.state).toBe('offline');

    const wrapper = mount(DiagnosticsSection, setup);
    const rows = wrapper.findAll('[data-testid="diagnostics-error"]');
    expect(rows).toHaveLength(MAX_ERRORS);
    expect(rows[0]!.text()).toContain(`failure #${MAX_ERRORS + 50}`);
    expect(rows.at(-1)!.text()).toContain('failure #51');
    expect(wrapper.findAll('[data-testid="diagnostics-change"]')).toHaveLength(
      MAX_CONNECTION_CHANGES,
    );
  });

  it('cuts a long error text, and keeps it on one line', () => {
    plugins();
    const diagnostics = useDiagnosticsStore();
    diagnostics.record('engine', new Error(`first line\n${'x'.repeat(5000)}`));
    const message = diagnostics.errors[0]!.message;
    expect(message.startsWith('first line x')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(300);
  });
});
