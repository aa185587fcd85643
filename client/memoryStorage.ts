import { canAdvance, type OutStatus } from './status';
import type { ClientStorage, Conversation, HistoryQuery, StoredMessage } from './storage';

function before(a: StoredMessage, b: { sortTs: number; key: string }): boolean {
  return a.sortTs < b.sortTs || (a.sortTs === b.sortTs && a.key < b.key);
}

/**
 * {@link ClientStorage} in memory: for bots, load generators and the
 * benchmark, where nothing needs to survive the process. Same semantics as
 * the IndexedDB implementation, without durability.
 */
export class MemoryStorage implements ClientStorage {
  private readonly messages = new Map<string, StoredMessage>();
  /** Per peer, message keys in conversation order (oldest first). */
  private readonly byPeer = new Map<string, StoredMessage[]>();
  private readonly convs = new Map<
    string,
    { lastKey: string; lastSortTs: number; unread: number }
  >();
  private readonly meta = new Map<string, unknown>();

  async addOutgoing(message: StoredMessage): Promise<void> {
    if (this.messages.has(message.key)) throw new Error(`duplicate key ${message.key}`);
    this.insert(message);
    this.touch(message, 0);
  }

  async advance(
    key: string,
    status: OutStatus,
    patch: Partial<Pick<StoredMessage, 'ts' | 'deadline'>> = {},
  ): Promise<StoredMessage | undefined> {
    const current = this.messages.get(key);
    if (!current?.status || !canAdvance(current.status, status)) return undefined;
    Object.assign(current, patch, { status }, current.ts !== undefined ? { ts: current.ts } : {});
    return { ...current };
  }

  async addIncoming(messages: StoredMessage[]): Promise<StoredMessage[]> {
    const fresh: StoredMessage[] = [];
    for (const m of messages) {
      if (this.messages.has(m.key)) continue;
      this.insert({ ...m });
      this.touch(m, 1);
      fresh.push(m);
    }
    return fresh;
  }

  async get(key: string): Promise<StoredMessage | undefined> {
    const m = this.messages.get(key);
    return m && { ...m };
  }

  async outgoingByStatus(statuses: OutStatus[]): Promise<StoredMessage[]> {
    const wanted = new Set(statuses);
    return [...this.messages.values()]
      .filter((m) => m.status !== undefined && wanted.has(m.status))
      .sort((a, b) => a.sortTs - b.sortTs)
      .map((m) => ({ ...m }));
  }

  async history(peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const list = this.byPeer.get(peer) ?? [];
    let end = list.length;
    if (query.before) {
      const cursor = query.before;
      end = list.findIndex((m) => !before(m, cursor));
      if (end === -1) end = list.length;
    }
    return list
      .slice(Math.max(0, end - query.limit), end)
      .reverse()
      .map((m) => ({ ...m }));
  }

  async conversations(): Promise<Conversation[]> {
    return [...this.convs]
      .map(([peer, c]) => ({
        peer,
        last: this.messages.get(c.lastKey),
        unread: c.unread,
        lastSortTs: c.lastSortTs,
      }))
      .sort((a, b) => b.lastSortTs - a.lastSortTs);
  }

  async markRead(peer: string): Promise<void> {
    const c = this.convs.get(peer);
    if (c) c.unread = 0;
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return this.meta.get(name) as T | undefined;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    this.meta.set(name, value);
  }

  close(): void {}

  private insert(m: StoredMessage): void {
    this.messages.set(m.key, m);
    const list = this.byPeer.get(m.peer) ?? [];
    let i = list.length;
    while (i > 0 && before(m, list[i - 1]!)) i--;
    list.splice(i, 0, m);
    this.byPeer.set(m.peer, list);
  }

  private touch(m: StoredMessage, unread: number): void {
    const c = this.convs.get(m.peer);
    if (!c) {
      this.convs.set(m.peer, { lastKey: m.key, lastSortTs: m.sortTs, unread });
      return;
    }
    if (m.sortTs >= c.lastSortTs) {
      c.lastKey = m.key;
      c.lastSortTs = m.sortTs;
    }
    c.unread += unread;
  }
}
