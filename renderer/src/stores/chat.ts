import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import { ApiError, fetchUsers } from '../../../client/api';
import { DexieStorage } from '../../../client/dexieStorage';
import { ImClient, SendError, type ConnectionState } from '../../../client/imClient';
import type { ConversationSummary, StoredMessage } from '../../../client/storage';
import { TYPING_SHOW_MS, type Session, type User } from '../../../protocol';
import { desktopBridge } from '../desktop/desktop';
import { useConversationStore } from './conversation';

/** One entry of the contact list. */
export interface Contact {
  user: User;
  unread: number;
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

const USERS_META = 'contacts';

function isFocused(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/**
 * The signed-in chat: the delivery engine, contacts with presence, unread
 * counts, failed messages, and which conversation is open.
 */
export const useChatStore = defineStore('chat', () => {
  const conversation = useConversationStore();
  const engine = shallowRef<ImClient | null>(null);
  let storage: DexieStorage | undefined;
  let hooks: ChatHooks | undefined;
  let generation = 0;
  let baseUrl = '';
  let token = '';

  const me = ref<Session | null>(null);
  const connection = ref<ConnectionState>('offline');
  const users = ref<User[]>([]);
  /** Conversation summaries by the other person's user id. */
  const summaries = shallowRef(new Map<string, ConversationSummary>());
  const failed = shallowRef(new Map<string, StoredMessage>());
  const activePeer = ref<string | null>(null);
  const filter = ref('');
  /** The server speaks a protocol version this app does not. */
  const incompatible = ref(false);
  /** People typing to us now (user id → when the indicator goes away). */
  const typingUntil = shallowRef(new Map<string, number>());
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  function setTyping(userId: string, until: number | null): void {
    clearTimeout(typingTimers.get(userId));
    typingTimers.delete(userId);
    const next = new Map(typingUntil.value);
    if (until === null) next.delete(userId);
    else {
      next.set(userId, until);
      typingTimers.set(
        userId,
        setTimeout(() => setTyping(userId, null), Math.max(0, until - Date.now())),
      );
    }
    typingUntil.value = next;
  }

  /** Whether the open conversation's other person is typing. */
  const peerTyping = computed(
    () => activePeer.value !== null && typingUntil.value.has(activePeer.value),
  );

  /** Every other user with their conversation summary, most recent activity first. */
  const contacts = computed<Contact[]>(() => {
    const myId = me.value?.userId;
    return users.value
      .filter((u) => u.userId !== myId)
      .map((user) => {
        const c = summaries.value.get(user.userId);
        return { user, unread: c?.unread ?? 0, last: c?.last, activity: c?.activity ?? 0 };
      })
      .sort(
        (a, b) =>
          b.activity - a.activity ||
          Number(b.user.online) - Number(a.user.online) ||
          a.user.displayName.localeCompare(b.user.displayName),
      );
  });

  /** Contacts matching the filter box. */
  const visibleContacts = computed<Contact[]>(() => {
    const q = filter.value.trim().toLowerCase();
    if (!q) return contacts.value;
    return contacts.value.filter(
      (c) =>
        c.user.displayName.toLowerCase().includes(q) || c.user.username.toLowerCase().includes(q),
    );
  });

  /** The open conversation's contact. */
  const activeContact = computed(() =>
    contacts.value.find((c) => c.user.userId === activePeer.value),
  );

  /** Unread messages over all conversations. */
  const totalUnread = computed(() => {
    let n = 0;
    for (const c of summaries.value.values()) n += c.unread;
    return n;
  });

  /** Outgoing messages that failed, waiting for the user. */
  const failedCount = computed(() => failed.value.size);

  watch(totalUnread, (n) => desktopBridge()?.setUnreadCount(n));

  /** Starts the engine for a signed-in session. */
  async function start(session: Session, url: string, appHooks: ChatHooks): Promise<void> {
    stop();
    const gen = ++generation;
    hooks = appHooks;
    baseUrl = url;
    token = session.token;
    me.value = session;
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
      if (m.peer === activePeer.value && isFocused()) void markRead(m.peer);
      else void refreshConversations();
      if (m.direction === 'in') {
        // Their message arrived: they have stopped typing it.
        if (typingUntil.value.has(m.from)) setTyping(m.from, null);
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
    client.events.on('typing', ({ from }) => {
      if (live()) setTyping(from, Date.now() + TYPING_SHOW_MS);
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

    const cached = await storage.getMeta<User[]>(USERS_META);
    if (!live()) return;
    if (cached && users.value.length === 0)
      users.value = cached.map((u) => ({ ...u, online: false }));
    await Promise.all([refreshConversations(), loadFailed()]);
    if (!live()) return;
    await client.start();
    if (live()) connection.value = client.connection;
  }

  /** Stops the engine and forgets the signed-in state (local history stays). */
  function stop(): void {
    generation++;
    engine.value?.close();
    storage?.close();
    engine.value = null;
    storage = undefined;
    me.value = null;
    connection.value = 'offline';
    users.value = [];
    summaries.value = new Map();
    failed.value = new Map();
    activePeer.value = null;
    filter.value = '';
    incompatible.value = false;
    for (const userId of typingTimers.keys()) setTyping(userId, null);
    void conversation.open(null);
  }

  function trackFailed(m: StoredMessage): void {
    const has = failed.value.has(m.key);
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
        const list = await client.conversations().catch(() => undefined);
        if (list && engine.value === client)
          summaries.value = new Map(list.map((c) => [c.peer, c]));
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
      if (gen === generation && error instanceof ApiError && error.status === 401) {
        hooks?.onSessionRejected();
      }
    }
  }

  async function markRead(peer: string): Promise<void> {
    const client = engine.value;
    if (!client) return;
    const current = summaries.value.get(peer);
    if (current && current.unread > 0) {
      summaries.value = new Map(summaries.value).set(peer, { ...current, unread: 0 });
    }
    await client.markRead(client.conversationWith(peer));
    await refreshConversations();
  }

  /** Opens a contact's conversation (null closes it). */
  async function openConversation(peer: string | null): Promise<void> {
    activePeer.value = peer;
    const client = engine.value;
    if (!client || peer === null) {
      await conversation.open(null);
      return;
    }
    await conversation.open(client.conversationWith(peer), (c, q) => client.history(c, q));
    await markRead(peer);
  }

  /** Marks the open conversation read (the window got focus). */
  function windowFocused(): void {
    const peer = activePeer.value;
    if (peer && (summaries.value.get(peer)?.unread ?? 0) > 0) void markRead(peer);
  }

  /** Sends `body` to the open conversation; the refusal code when it cannot. */
  async function send(body: string): Promise<SendRefusal | null> {
    const client = engine.value;
    const peer = activePeer.value;
    if (!client || !peer) return 'not_ready';
    try {
      await client.send(peer, body);
      return null;
    } catch (error) {
      if (error instanceof SendError) return error.code;
      throw error;
    }
  }

  /** The person is typing in the open conversation (the engine throttles what it sends). */
  function noteTyping(): void {
    const client = engine.value;
    const peer = activePeer.value;
    if (client && peer) client.typing(client.conversationWith(peer));
  }

  /** Sends a failed message again (same id, same place). */
  async function resend(id: string): Promise<void> {
    await engine.value?.resend(id);
  }

  /** Sends every failed message again. */
  async function resendAll(): Promise<void> {
    await engine.value?.resendAllFailed();
  }

  return {
    me,
    connection,
    users,
    summaries,
    failed,
    activePeer,
    filter,
    incompatible,
    peerTyping,
    contacts,
    visibleContacts,
    activeContact,
    totalUnread,
    failedCount,
    start,
    stop,
    refreshUsers,
    refreshConversations,
    openConversation,
    windowFocused,
    send,
    noteTyping,
    resend,
    resendAll,
  };
});
