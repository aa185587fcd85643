import Dexie, { type Table } from 'dexie';
import { canAdvance, type OutStatus } from './status';
import type { ClientStorage, Conversation, HistoryQuery, StoredMessage } from './storage';

interface ConversationRow {
  peer: string;
  lastKey: string;
  lastSortTs: number;
  unread: number;
}

interface MetaRow {
  name: string;
  value: unknown;
}

class TicklineDb extends Dexie {
  messages!: Table<StoredMessage, string>;
  conversations!: Table<ConversationRow, string>;
  meta!: Table<MetaRow, string>;

  constructor(name: string, deps?: DexieDeps) {
    super(name, deps);
    this.version(1).stores({
      messages: 'key, [peer+sortTs+key], status',
      conversations: 'peer, lastSortTs',
      meta: 'name',
    });
  }
}

/** IndexedDB implementation to use where the global one is absent (tests: fake-indexeddb). */
export interface DexieDeps {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

/**
 * {@link ClientStorage} on IndexedDB through Dexie. One database per signed-in
 * user (name it after the server and user id).
 */
export class DexieStorage implements ClientStorage {
  private readonly db: TicklineDb;

  constructor(name: string, deps?: DexieDeps) {
    this.db = new TicklineDb(name, deps);
  }

  async addOutgoing(message: StoredMessage): Promise<void> {
    await this.db.transaction('rw', this.db.messages, this.db.conversations, async () => {
      await this.db.messages.add(message);
      await this.touchConversation(message.peer, [message], 0);
    });
  }

  async advance(
    key: string,
    status: OutStatus,
    patch: Partial<Pick<StoredMessage, 'ts' | 'deadline'>> = {},
  ): Promise<StoredMessage | undefined> {
    return this.db.transaction('rw', this.db.messages, async () => {
      const current = await this.db.messages.get(key);
      if (!current?.status || !canAdvance(current.status, status)) return undefined;
      const next: StoredMessage = { ...current, ...patch, status };
      if (current.ts !== undefined) next.ts = current.ts;
      await this.db.messages.put(next);
      return next;
    });
  }

  async addIncoming(messages: StoredMessage[]): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    return this.db.transaction('rw', this.db.messages, this.db.conversations, async () => {
      const unique = [...new Map(messages.map((m) => [m.key, m])).values()];
      const existing = await this.db.messages.bulkGet(unique.map((m) => m.key));
      const fresh = unique.filter((_, i) => existing[i] === undefined);
      if (fresh.length === 0) return [];
      await this.db.messages.bulkAdd(fresh);
      const byPeer = new Map<string, StoredMessage[]>();
      for (const m of fresh) byPeer.set(m.peer, [...(byPeer.get(m.peer) ?? []), m]);
      for (const [peer, list] of byPeer) await this.touchConversation(peer, list, list.length);
      return fresh;
    });
  }

  get(key: string): Promise<StoredMessage | undefined> {
    return this.db.messages.get(key);
  }

  async outgoingByStatus(statuses: OutStatus[]): Promise<StoredMessage[]> {
    const rows = await this.db.messages.where('status').anyOf(statuses).toArray();
    return rows.sort((a, b) => a.sortTs - b.sortTs);
  }

  history(peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const upper = query.before
      ? [peer, query.before.sortTs, query.before.key]
      : [peer, Dexie.maxKey, Dexie.maxKey];
    return this.db.messages
      .where('[peer+sortTs+key]')
      .between([peer, Dexie.minKey, Dexie.minKey], upper, true, !query.before)
      .reverse()
      .limit(query.limit)
      .toArray();
  }

  async conversations(): Promise<Conversation[]> {
    const rows = await this.db.conversations.orderBy('lastSortTs').reverse().toArray();
    const lasts = await this.db.messages.bulkGet(rows.map((r) => r.lastKey));
    return rows.map((r, i) => ({
      peer: r.peer,
      last: lasts[i],
      unread: r.unread,
      lastSortTs: r.lastSortTs,
    }));
  }

  async markRead(peer: string): Promise<void> {
    await this.db.conversations.update(peer, { unread: 0 });
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return (await this.db.meta.get(name))?.value as T | undefined;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    await this.db.meta.put({ name, value });
  }

  close(): void {
    this.db.close();
  }

  private async touchConversation(peer: string, added: StoredMessage[], unread: number) {
    const newest = added.reduce((a, b) => (b.sortTs >= a.sortTs ? b : a));
    const row = await this.db.conversations.get(peer);
    const replaceLast = !row || newest.sortTs >= row.lastSortTs;
    await this.db.conversations.put({
      peer,
      lastKey: replaceLast ? newest.key : row.lastKey,
      lastSortTs: replaceLast ? newest.sortTs : row.lastSortTs,
      unread: (row?.unread ?? 0) + unread,
    });
  }
}
