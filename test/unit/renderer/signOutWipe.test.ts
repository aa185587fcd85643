// @vitest-environment happy-dom
/**
 * Signing out on a shared computer (issue 21): with "Remove this device's
 * copy of the history" the person's IndexedDB database, drafts and mutes are
 * deleted before the sign-out; another account's on the same browser are
 * not; without it everything stays for the next sign-in.
 */
import 'fake-indexeddb/auto';
import { mount } from '@vue/test-utils';
import mitt from 'mitt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DexieStorage } from '../../../client/dexieStorage';
import type { ConnectionState, ImClientEvents } from '../../../client/imClient';
import type * as ImClientModule from '../../../client/imClient';
import { directConversationId } from '../../../protocol';
import SignInView from '../../../renderer/src/components/SignInView.vue';
import { signOutHere } from '../../../renderer/src/lib/signOut';
import { databaseName, useChatStore } from '../../../renderer/src/stores/chat';
import { useDiagnosticsStore } from '../../../renderer/src/stores/diagnostics';
import { DRAFT_KEY_PREFIX, useDraftsStore } from '../../../renderer/src/stores/drafts';
import { MUTES_KEY_PREFIX, useMutesStore } from '../../../renderer/src/stores/mutes';
import { useSessionStore } from '../../../renderer/src/stores/session';
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

const URL = 'https://192.168.1.5:7420';
const ANN_DB = databaseName(URL, 'ann');
const BOB_DB = databaseName(URL, 'bob');
const CONV = directConversationId('ann', 'bob');

/** A database holding one message of the ann–bob conversation, as `owner` received it. */
async function databaseWithMessage(name: string, owner: string, body: string): Promise<void> {
  const db = new DexieStorage(name);
  await db.addFromServer(owner, [
    { id: body, from: 'bob', to: 'ann', body, ts: 1, seq: 1, conv: CONV },
  ]);
  db.close();
}

/**
 * The last message of each conversation in database `name` (closed again
 * after). Not `history()`: its range query repeats Dexie.maxKey, which
 * fake-indexeddb, registered globally, refuses as a cycle.
 */
async function messagesIn(name: string): Promise<string[]> {
  const db = new DexieStorage(name);
  const list = await db.conversations();
  db.close();
  return list.map((c) => c.last?.body ?? '');
}

async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '').sort();
}

/** localStorage keys that start with `prefix`. */
function keysOf(prefix: string): string[] {
  return Object.keys(localStorage)
    .filter((k) => k.startsWith(prefix))
    .sort();
}

/** Ann signed in with history, a draft and a mute; Bob (another account here) has his own. */
async function annSignedIn() {
  await databaseWithMessage(ANN_DB, 'ann', 'for ann');
  await databaseWithMessage(BOB_DB, 'bob', 'for bob');
  plugins();
  const mutes = useMutesStore();
  const drafts = useDraftsStore();
  // Bob used this browser earlier: his draft and mute are under his account's keys.
  mutes.use(URL, 'bob');
  mutes.set('carol', true);
  drafts.use(URL, 'bob');
  drafts.set('carol', 'bob was typing this');

  const session = useSessionStore();
  session.load(URL);
  const ann = { userId: 'ann', username: 'ann', displayName: 'Ann', token: 'tok-ann' };
  session.session = ann;
  localStorage.setItem(`tickline.session:${URL}`, JSON.stringify(ann));
  const chat = useChatStore();
  await chat.start(ann, URL, { onIncoming: () => {}, onSessionRejected: () => {} });
  drafts.set('bob', 'half a reply');
  mutes.set('bob', true);
  return { chat, session, drafts, mutes };
}

let calls: string[];

beforeEach(async () => {
  localStorage.clear();
  for (const name of await databaseNames())
    await DexieStorage.prototype.deleteDatabase.call(new DexieStorage(name));
  calls = [];
  vi.stubGlobal('fetch', async (url: string) => {
    calls.push(url);
    return Response.json({});
  });
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("sign out, removing this device's copy", () => {
  it("deletes the person's database, drafts and mutes, then signs out; another account's stay", async () => {
    const { session } = await annSignedIn();
    expect(await databaseNames()).toEqual([ANN_DB, BOB_DB].sort());
    expect(keysOf(DRAFT_KEY_PREFIX)).toHaveLength(2);

    await signOutHere(true);

    expect(await databaseNames()).toEqual([BOB_DB]);
    expect(await messagesIn(BOB_DB)).toEqual(['for bob']);
    expect(keysOf(DRAFT_KEY_PREFIX)).toEqual([`${DRAFT_KEY_PREFIX}${URL}|bob|carol`]);
    expect(keysOf(MUTES_KEY_PREFIX)).toEqual([`${MUTES_KEY_PREFIX}${URL}|bob`]);
    expect(localStorage.getItem(`tickline.session:${URL}`)).toBeNull();
    expect(session.session).toBeNull();
    expect(session.error).toBeNull();
    expect(calls).toEqual([`${URL}/api/logout`]);
    // Ann signing in here again finds nothing of hers.
    expect(await messagesIn(ANN_DB)).toEqual([]);
  });

  it('unchecked: signs out and keeps everything for the next sign-in', async () => {
    const { session } = await annSignedIn();
    await signOutHere(false);
    expect(session.session).toBeNull();
    expect(await databaseNames()).toEqual([ANN_DB, BOB_DB].sort());
    expect(await messagesIn(ANN_DB)).toEqual(['for ann']);
    expect(keysOf(DRAFT_KEY_PREFIX)).toHaveLength(2);
    expect(keysOf(MUTES_KEY_PREFIX)).toHaveLength(2);
    expect(calls).toEqual([`${URL}/api/logout`]);
  });

  it('a database that cannot be deleted: still signed out, and the sign-in view says so', async () => {
    const { session } = await annSignedIn();
    vi.spyOn(DexieStorage.prototype, 'deleteDatabase').mockRejectedValue(new Error('blocked'));
    await signOutHere(true);
    expect(session.session).toBeNull();
    expect(session.error).toEqual({ code: 'wipe_failed', message: '' });
    expect(useDiagnosticsStore().errors.map((e) => [e.source, e.message])).toEqual([
      ['sign-out', 'blocked'],
    ]);
  });
});

describe('the sign-in view after a failed removal', () => {
  it('says the copy is still here and how to remove it', () => {
    const setup = plugins();
    const session = useSessionStore();
    session.load(URL);
    session.error = { code: 'wipe_failed', message: '' };
    expect(mount(SignInView, setup).get('[role="alert"]').text()).toBe(
      "You are signed out, but this device's copy of the history could not be removed. Remove this site's data in the browser settings.",
    );
  });
});
