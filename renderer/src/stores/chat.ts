import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import { ApiError, fetchUsers } from '../../../client/api';
import { DexieStorage } from '../../../client/dexieStorage';
import { ImClient, SendError, type ConnectionState, type Throttle } from '../../../client/imClient';
import type { ConversationSummary, StoredMessage } from '../../../client/storage';
import { retryBudgetMs } from '../../../client/retry';
import {
  DEFAULT_CLIENT_POLICY,
  isGroupId,
  TYPING_SHOW_MS,
  type ConversationId,
  type GroupInfoA,
  type Session,
  type User,
} from '../../../protocol';
import { desktopBridge } from '../desktop/desktop';
import { lookAlike, loadLookAlike } from '../lib/lookAlike';
import { shownNames, type NamedPerson } from '../lib/names';
import { foldForSearch, matchesSearch } from '../lib/search';
import { useConversationStore } from './conversation';
import { useDiagnosticsStore } from './diagnostics';
import { useDraftsStore } from './drafts';
import { useMutesStore } from './mutes';

/** One entry of the contact list: a person, or a group. */
export interface Contact {
  /** The person's user id, or the group's conversation id. */
  id: string;
  kind: 'user' | 'group';
  /** Display name, or the group's name. */
  name: string;
  /** People only. */
  user?: User;
  /** People only, and only while connected (presence is unknown otherwise). */
  online: boolean;
  /** Groups: the person is no longer a member. */
  left: boolean;
  unread: number;
  /** Outgoing messages of this conversation that failed and wait for the person. */
  failed: number;
  last: StoredMessage | undefined;
  /** Last activity in the conversation (server time where known). */
  activity: number;
}

/** Why a message was not accepted for sending. */
export type SendRefusal = 'too_large' | 'invalid_input' | 'not_ready';

/** Hooks the app gives the chat store. */
export interface ChatHooks {
  /** The server refused the session token. */
  onSessionRejected(): void;
  /** A new incoming message arrived (for desktop notifications). */
  onIncoming(message: StoredMessage, sender: User | undefined): void;
}

/** Name of the local database of one user on one server. */
export function databaseName(serverUrl: string, userId: string): string {
  return `tickline:${serverUrl}:${userId}`;
}

/** The contact-list entry a message belongs to: the group, or the other person. */
export function entryOf(m: Pick<StoredMessage, 'conv' | 'peer'>): string {
  return isGroupId(m.conv) ? m.conv : m.peer;
}

const USERS_META = 'contacts';

function isFocused(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/**
 * The signed-in chat: the delivery engine, people and groups with presence,
 * unread counts, failed messages, typing, and which conversation is open.
 */
export const useChatStore = defineStore('chat', () => {
  const conversation = useConversationStore();
  const drafts = useDraftsStore();
  const mutes = useMutesStore();
  const diagnostics = useDiagnosticsStore();
  const engine = shallowRef<ImClient | null>(null);
  let storage: DexieStorage | undefined;
  let hooks: ChatHooks | undefined;
  let generation = 0;
  let baseUrl = '';
  let token = '';

  const me = ref<Session | null>(null);
  const connection = ref<ConnectionState>('offline');
  const users = ref<User[]>([]);
  /** Conversation summaries by contact-list entry (user id or group id). */
  const summaries = shallowRef(new Map<string, ConversationSummary>());
  const failed = shallowRef(new Map<string, StoredMessage>());
  /** Keys of messages that failed while the connection was down (reported once it is back). */
  const failedWhileAway = shallowRef(new Set<string>());
  /** The open entry: a person's user id or a group's id. */
  const activeId = ref<string | null>(null);
  const filter = ref('');
  /** The server speaks a protocol version this app does not. */
  const incompatible = ref(false);
  /** What the server holds back now (the engine sends it again by itself). */
  const throttled = shallowRef<Throttle | undefined>(undefined);
  /** Members of the groups this device has looked at (for headers and names). */
  const groupInfos = shallowRef(new Map<string, GroupInfoA>());
  /** Who is typing where (`conv|userId` → when the indicator goes away). */
  const typingUntil = shallowRef(new Map<string, number>());
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  function setTyping(key: string, until: number | null): void {
    clearTimeout(typingTimers.get(key));
    typingTimers.delete(key);
    const next = new Map(typingUntil.value);
    if (until === null) next.delete(key);
    else {
      next.set(key, until);
      typingTimers.set(
        key,
        setTimeout(() => setTyping(key, null), Math.max(0, until - Date.now())),
      );
    }
    typingUntil.value = next;
  }

  /** The open conversation's id. */
  const activeConv = computed<ConversationId | null>(() => {
    const id = activeId.value;
    const client = engine.value;
    if (!id || !client) return null;
    return isGroupId(id) ? (id as ConversationId) : client.conversationWith(id);
  });

  /**
   * The name shown for each person (the signed-in one included): the display
   * name, with the username where it looks like another's.
   */
  const shown = computed(() => {
    const people: NamedPerson[] = [...users.value];
    const self = me.value;
    if (self && !people.some((u) => u.userId === self.userId)) people.push(self);
    return shownNames(people, lookAlike.value);
  });

  /** Shown name of a user id (see {@link shown}; the id itself when unknown). */
  function nameOf(userId: string): string {
    return shown.value.get(userId) ?? userId;
  }

  /** Who is typing in the open conversation, by name. */
  const typingNames = computed(() => {
    const conv = activeConv.value;
    if (!conv) return [];
    return [...typingUntil.value.keys()]
      .filter((key) => key.startsWith(`${conv}|`))
      .map((key) => nameOf(key.slice(conv.length + 1)));
  });

  /** A group the person is no longer in: its failed messages cannot be resent. */
  function leftGroup(conv: string): boolean {
    return summaries.value.get(conv)?.left === true;
  }

  /** Failed messages that can be resent, counted by contact-list entry. */
  const failedByEntry = computed(() => {
    const counts = new Map<string, number>();
    for (const m of failed.value.values()) {
      if (leftGroup(m.conv)) continue;
      const entry = entryOf(m);
      counts.set(entry, (counts.get(entry) ?? 0) + 1);
    }
    return counts;
  });

  /** Every other person and every group, most recent activity first. */
  const contacts = computed<Contact[]>(() => {
    const myId = me.value?.userId;
    const failedOf = failedByEntry.value;
    const live = connection.value === 'connected';
    const people: Contact[] = users.value
      .filter((u) => u.userId !== myId)
      .map((user) => {
        const c = summaries.value.get(user.userId);
        return {
          id: user.userId,
          kind: 'user',
          name: nameOf(user.userId),
          user,
          online: live && user.online,
          left: false,
          unread: c?.unread ?? 0,
          failed: failedOf.get(user.userId) ?? 0,
          last: c?.last,
          activity: c?.activity ?? 0,
        };
      });
    const groups: Contact[] = [...summaries.value.values()]
      .filter((c) => c.kind === 'group')
      .map((c) => ({
        id: c.conv,
        kind: 'group',
        name: c.name ?? '',
        online: false,
        left: c.left === true,
        unread: c.unread,
        failed: failedOf.get(c.conv) ?? 0,
        last: c.last,
        activity: c.activity,
      }));
    return [...people, ...groups].sort(
      (a, b) =>
        b.activity - a.activity ||
        Number(b.online) - Number(a.online) ||
        a.name.localeCompare(b.name),
    );
  });

  /** Contacts matching the filter box. */
  const visibleContacts = computed<Contact[]>(() => {
    const q = foldForSearch(filter.value.trim());
    if (!q) return contacts.value;
    return contacts.value.filter((c) => matchesSearch(q, c.name, c.user?.username));
  });

  /** The open conversation's contact-list entry. */
  const activeContact = computed(() => contacts.value.find((c) => c.id === activeId.value));

  /** Unread messages over all conversations. */
  const totalUnread = computed(() => {
    let n = 0;
    for (const c of summaries.value.values()) n += c.unread;
    return n;
  });

  /**
   * The throttle to show in the open conversation: sending too fast
   * (any conversation), or this conversation's recipient's inbox is full.
   */
  const activeThrottle = computed<Throttle | undefined>(() => {
    const t = throttled.value;
    if (!t || activeId.value === null) return undefined;
    return t.code === 'rate_limited' || t.to === activeId.value ? t : undefined;
  });

  /** Outgoing messages that failed and can be resent, waiting for the user (all conversations). */
  const failedCount = computed(
    () => [...failed.value.values()].filter((m) => !leftGroup(m.conv)).length,
  );

  /**
   * Once connected again: the conversations with messages that failed while
   * the connection was down and are still not delivered (most first), until
   * the person opens them or dismisses the prompt.
   */
  const awayFailures = computed<{ id: string; name: string; count: number }[]>(() => {
    if (connection.value !== 'connected') return [];
    const counts = new Map<string, number>();
    for (const key of failedWhileAway.value) {
      const m = failed.value.get(key);
      if (!m || leftGroup(m.conv)) continue;
      const entry = entryOf(m);
      counts.set(entry, (counts.get(entry) ?? 0) + 1);
    }
    return [...counts]
      .map(([id, count]) => ({
        id,
        count,
        name: contacts.value.find((c) => c.id === id)?.name ?? nameOf(id),
      }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  });

  /** Forgets what failed while away, for `entry` only or for every conversation. */
  function dismissAwayFailures(entry?: string): void {
    if (entry === undefined) {
      failedWhileAway.value = new Set();
      return;
    }
    const keep = [...failedWhileAway.value].filter((key) => {
      const m = failed.value.get(key);
      return m !== undefined && entryOf(m) !== entry;
    });
    failedWhileAway.value = new Set(keep);
  }

  /** Failed messages of the open conversation (what its Resend-all notice offers). */
  const activeFailedCount = computed(() =>
    activeId.value === null ? 0 : (failedByEntry.value.get(activeId.value) ?? 0),
  );

  /**
   * How long an unacknowledged message is retried before it is `failed`, in
   * ms (for the banners). A function: the engine's policy is fetched from
   * the server after start and is not reactive.
   */
  function retryBudget(): number {
    return retryBudgetMs(engine.value?.retryPolicy ?? DEFAULT_CLIENT_POLICY);
  }

  watch(totalUnread, (n) => desktopBridge()?.setUnreadCount(n));
  watch(connection, (state) => diagnostics.noteConnection(state), { flush: 'sync' });

  /** Marks `id` read in the background; a failure is recorded, not thrown. */
  function markReadSoon(id: string): void {
    markRead(id).catch((error: unknown) => diagnostics.record('read', error));
  }

  /** Starts the engine for a signed-in session. */
  async function start(session: Session, url: string, appHooks: ChatHooks): Promise<void> {
    stop();
    const gen = ++generation;
    hooks = appHooks;
    baseUrl = url;
    token = session.token;
    diagnostics.hide(token);
    me.value = session;
    drafts.use(url, session.userId);
    mutes.use(url, session.userId);
    storage = new DexieStorage(databaseName(url, session.userId));
    const client = markRaw(new ImClient({ url, token, userId: session.userId, storage }));
    engine.value = client;
    const live = () => gen === generation;

    client.events.on('connection', (state) => {
      if (!live()) return;
      connection.value = state;
      if (state === 'connected') void refreshUsers();
    });
    client.events.on('status', (m) => {
      if (!live()) return;
      trackFailed(m);
      conversation.upsert(m);
      void refreshConversations();
    });
    client.events.on('message', (m) => {
      if (!live()) return;
      conversation.upsert(m);
      const entry = entryOf(m);
      if (entry === activeId.value && isFocused()) markReadSoon(entry);
      else void refreshConversations();
      if (m.kind === 'system' && groupInfos.value.has(m.conv)) void loadGroupInfo(m.conv);
      if (m.direction === 'in' && m.kind !== 'system') {
        // Their message arrived: they have stopped typing it.
        const key = `${m.conv}|${m.from}`;
        if (typingUntil.value.has(key)) setTyping(key, null);
        hooks?.onIncoming(
          m,
          users.value.find((u) => u.userId === m.from),
        );
      }
    });
    client.events.on('conversation', () => {
      if (live()) void refreshConversations();
    });
    client.events.on('incompatible', () => {
      if (live()) incompatible.value = true;
    });
    client.events.on('throttled', (t) => {
      if (live()) throttled.value = t;
    });
    client.events.on('typing', ({ conv, from }) => {
      if (live()) setTyping(`${conv}|${from}`, Date.now() + TYPING_SHOW_MS);
    });
    client.events.on('presence', ({ userId, online }) => {
      if (!live()) return;
      const known = users.value.some((u) => u.userId === userId);
      if (!known) void refreshUsers();
      else users.value = users.value.map((u) => (u.userId === userId ? { ...u, online } : u));
    });
    client.events.on('session-rejected', () => {
      if (live()) hooks?.onSessionRejected();
    });
    client.events.on('error', (error) => {
      if (live()) diagnostics.record('engine', error);
    });

    // Nobody is listed before names can be compared by their look.
    const [cached] = await Promise.all([
      storage.getMeta<User[]>(USERS_META),
      loadLookAlike((error) => diagnostics.record('names', error)),
    ]);
    if (!live()) return;
    if (cached && users.value.length === 0)
      users.value = cached.map((u) => ({ ...u, online: false }));
    await Promise.all([refreshConversations(), loadFailed()]);
    if (!live()) return;
    await client.start();
    if (live()) connection.value = client.connection;
  }

  /**
   * Stops the engine, then deletes this person's copy on this device: their
   * database (history, contacts, outbox), drafts and mutes; nobody else's.
   * False when the database could not be deleted (recorded in Diagnostics).
   */
  async function stopAndForget(): Promise<boolean> {
    const db = storage;
    drafts.forgetAll();
    mutes.forgetAll();
    stop();
    try {
      await db?.deleteDatabase();
      return true;
    } catch (error) {
      diagnostics.record('sign-out', error);
      return false;
    }
  }

  /** Stops the engine and forgets the signed-in state (local history stays). */
  function stop(): void {
    generation++;
    engine.value?.close();
    storage?.close();
    engine.value = null;
    storage = undefined;
    me.value = null;
    drafts.use(null);
    mutes.use(null);
    connection.value = 'offline';
    users.value = [];
    summaries.value = new Map();
    failed.value = new Map();
    failedWhileAway.value = new Set();
    activeId.value = null;
    groupInfos.value = new Map();
    filter.value = '';
    incompatible.value = false;
    throttled.value = undefined;
    for (const key of [...typingTimers.keys()]) setTyping(key, null);
    void conversation.open(null);
  }

  function trackFailed(m: StoredMessage): void {
    const has = failed.value.has(m.key);
    if (m.status === 'failed' && !has && connection.value !== 'connected') {
      failedWhileAway.value = new Set(failedWhileAway.value).add(m.key);
    }
    if (m.status === 'failed' && !has) failed.value = new Map(failed.value).set(m.key, m);
    else if (m.status !== 'failed' && has) {
      const next = new Map(failed.value);
      next.delete(m.key);
      failed.value = next;
    }
  }

  async function loadFailed(): Promise<void> {
    const list = (await engine.value?.failedMessages()) ?? [];
    failed.value = new Map(list.map((m) => [m.key, m]));
  }

  let refreshing: Promise<void> | undefined;
  let refreshAgain = false;

  /** Re-reads conversation summaries (coalesced). */
  function refreshConversations(): Promise<void> {
    refreshAgain = true;
    refreshing ??= (async () => {
      while (refreshAgain) {
        refreshAgain = false;
        const client = engine.value;
        if (!client) return;
        const list = await client.conversations().catch((error: unknown) => {
          diagnostics.record('conversations', error);
          return undefined;
        });
        if (list && engine.value === client)
          summaries.value = new Map(
            list.map((c) => [c.kind === 'group' ? (c.conv as string) : c.peer, c]),
          );
      }
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  /** Re-reads the user list (contacts and presence). */
  async function refreshUsers(): Promise<void> {
    const gen = generation;
    try {
      const list = await fetchUsers(baseUrl, token);
      if (gen !== generation) return;
      users.value = list;
      await storage?.setMeta(USERS_META, list);
    } catch (error) {
      if (gen !== generation) return;
      if (error instanceof ApiError && error.status === 401) hooks?.onSessionRejected();
      else diagnostics.record('contacts', error);
    }
  }

  function convOf(id: string): ConversationId | undefined {
    const client = engine.value;
    if (!client) return undefined;
    return isGroupId(id) ? (id as ConversationId) : client.conversationWith(id);
  }

  async function markRead(id: string): Promise<void> {
    const client = engine.value;
    const conv = convOf(id);
    if (!client || !conv) return;
    const current = summaries.value.get(id);
    if (current && current.unread > 0) {
      summaries.value = new Map(summaries.value).set(id, { ...current, unread: 0 });
    }
    await client.markRead(conv);
    await refreshConversations();
  }

  /** Opens a person's or a group's conversation (null closes it). */
  async function openConversation(id: string | null): Promise<void> {
    activeId.value = id;
    // Its own notice now says what failed there.
    if (id !== null && failedWhileAway.value.size > 0) dismissAwayFailures(id);
    const client = engine.value;
    const conv = id === null ? undefined : convOf(id);
    if (!client || id === null || !conv) {
      await conversation.open(null);
      return;
    }
    // Where the person had read to: the unread divider goes above what follows.
    const before = summaries.value.get(id);
    const readSeq = before && before.unread > 0 ? before.readSeq : null;
    await conversation.open(conv, (c, q) => client.history(c, q), readSeq);
    await markRead(id);
  }

  /** Marks the open conversation read (the window got focus). */
  function windowFocused(): void {
    const id = activeId.value;
    if (id && (summaries.value.get(id)?.unread ?? 0) > 0) markReadSoon(id);
  }

  /**
   * Sends `body` to the open conversation (as a reply to `reply` when
   * given); the refusal code when it cannot.
   */
  async function send(body: string, reply?: StoredMessage): Promise<SendRefusal | null> {
    const client = engine.value;
    const id = activeId.value;
    if (!client || !id) return 'not_ready';
    try {
      await client.send(id, body, reply ? { reply } : {});
      return null;
    } catch (error) {
      if (error instanceof SendError) return error.code;
      throw error;
    }
  }

  /** The person is typing in the open conversation (the engine throttles what it sends). */
  function noteTyping(): void {
    const conv = activeConv.value;
    if (conv) engine.value?.typing(conv);
  }

  /** Sends a failed message again (same id, same place). */
  async function resend(id: string): Promise<void> {
    await engine.value?.resend(id);
  }

  /** Sends every failed message of one conversation again (default: the open one). */
  async function resendAll(entryId: string | null = activeId.value): Promise<void> {
    const conv = entryId === null ? undefined : convOf(entryId);
    if (conv) await engine.value?.resendAllFailed(conv);
  }

  /** The engine, for group management and message info (throws when signed out). */
  function client(): ImClient {
    if (!engine.value) throw new Error('not signed in');
    return engine.value;
  }

  /** Loads (again) a group's name and members; keeps the old ones on failure (recorded). */
  async function loadGroupInfo(conv: ConversationId): Promise<void> {
    try {
      const info = await client().groupInfo(conv);
      groupInfos.value = new Map(groupInfos.value).set(conv, info);
    } catch (error) {
      // Not a member any more, or offline: the header shows less.
      diagnostics.record('group-info', error);
    }
  }

  /** Creates a group and opens it. */
  async function createGroup(name: string, members: string[]): Promise<void> {
    const conv = await client().createGroup(name, members);
    await refreshConversations();
    await openConversation(conv);
  }

  return {
    me,
    connection,
    users,
    summaries,
    failed,
    failedWhileAway,
    activeId,
    activeConv,
    filter,
    incompatible,
    throttled,
    activeThrottle,
    typingNames,
    contacts,
    visibleContacts,
    activeContact,
    totalUnread,
    failedCount,
    failedByEntry,
    activeFailedCount,
    awayFailures,
    dismissAwayFailures,
    retryBudget,
    nameOf,
    start,
    stop,
    stopAndForget,
    refreshUsers,
    refreshConversations,
    openConversation,
    windowFocused,
    send,
    noteTyping,
    resend,
    resendAll,
    client,
    createGroup,
    groupInfos,
    loadGroupInfo,
  };
});
