import type { ConversationId } from '../protocol';
import { LogCache, type Bound, type CacheBackend } from './logCache';
import type { MaybePromise } from './routine';
import { compareMessages, insertionIndex } from './order';
import type { OutStatus } from './status';
import type { Conversation, PendingAck, StoredMessage } from './storage';

function toPosition(b: Bound) {
  return { posA: b[0], posB: b[1], key: b[2] };
}

/**
 * A {@link CacheBackend} in memory. Every call is synchronous, so a routine
 * runs to its end without yielding (nothing else can run in between), and
 * `atomic` undoes every write of a routine that throws: like an IndexedDB
 * transaction, it happens whole or not at all.
 */
export class MemoryBackend implements CacheBackend {
  private readonly messages = new Map<string, StoredMessage>();
  /** Per conversation, messages in conversation order. */
  private readonly byConv = new Map<string, StoredMessage[]>();
  private readonly convs = new Map<string, Conversation>();
  private readonly meta = new Map<string, unknown>();
  private readonly acks = new Map<string, PendingAck>();
  /** While a routine runs: how to undo each write it made, in order. */
  private undo: (() => void)[] | undefined;

  atomic<T>(fn: () => MaybePromise<T>): MaybePromise<T> {
    if (this.undo) return fn();
    const undo: (() => void)[] = [];
    this.undo = undo;
    try {
      const value = fn();
      if (value instanceof Promise) throw new Error('a memory routine must not wait');
      return value;
    } catch (error) {
      for (const step of undo.reverse()) step();
      throw error;
    } finally {
      this.undo = undefined;
    }
  }

  getMessages(keys: string[]): (StoredMessage | undefined)[] {
    return keys.map((k) => {
      const m = this.messages.get(k);
      return m && { ...m };
    });
  }

  putMessages(list: StoredMessage[]): void {
    for (const m of list) {
      const old = this.messages.get(m.key);
      this.journal(() => {
        const now = this.messages.get(m.key);
        if (now) this.remove(now);
        this.messages.delete(m.key);
        if (old) this.place(old);
      });
      if (old) this.remove(old);
      this.place({ ...m });
    }
  }

  range(
    conv: ConversationId,
    lower: Bound | undefined,
    upper: Bound | undefined,
    limit: number,
    reverse: boolean,
  ): StoredMessage[] {
    const list = this.byConv.get(conv) ?? [];
    let start = lower ? insertionIndex(list, toPosition(lower)) : 0;
    if (lower && list[start] && compareMessages(list[start]!, toPosition(lower)) === 0) start++;
    const end = upper ? insertionIndex(list, toPosition(upper)) : list.length;
    const inside = list.slice(start, Math.max(start, end));
    if (reverse) inside.reverse();
    return inside.slice(0, limit).map((m) => ({ ...m }));
  }

  byStatus(statuses: OutStatus[]): StoredMessage[] {
    const wanted = new Set(statuses);
    return [...this.messages.values()]
      .filter((m) => m.status !== undefined && wanted.has(m.status))
      .map((m) => ({ ...m }));
  }

  getConversation(conv: ConversationId): Conversation | undefined {
    const row = this.convs.get(conv);
    return row && { ...row };
  }

  putConversation(row: Conversation): void {
    this.journalMap(this.convs, row.conv);
    this.convs.set(row.conv, { ...row });
  }

  allConversations(): Conversation[] {
    return [...this.convs.values()].map((r) => ({ ...r }));
  }

  getMeta(name: string): unknown {
    return this.meta.get(name);
  }

  setMeta(name: string, value: unknown): void {
    this.journalMap(this.meta, name);
    this.meta.set(name, value);
  }

  putAcks(list: PendingAck[]): void {
    for (const a of list) {
      this.journalMap(this.acks, a.key);
      this.acks.set(a.key, { ...a });
    }
  }

  deleteAcks(keys: string[]): void {
    for (const key of keys) {
      this.journalMap(this.acks, key);
      this.acks.delete(key);
    }
  }

  allAcks(): PendingAck[] {
    return [...this.acks.values()].map((a) => ({ ...a }));
  }

  close(): void {}

  /** Inside `atomic`: remembers how to undo a write. */
  private journal(undo: () => void): void {
    this.undo?.push(undo);
  }

  /** Inside `atomic`: remembers `key`'s entry of `map` as it is now. */
  private journalMap<V>(map: Map<string, V>, key: string): void {
    if (!this.undo) return;
    const had = map.has(key);
    const old = map.get(key);
    this.undo.push(() => {
      if (had) map.set(key, old as V);
      else map.delete(key);
    });
  }

  /** Stores a message and puts it in its conversation's order. */
  private place(m: StoredMessage): void {
    this.messages.set(m.key, m);
    const ordered = this.byConv.get(m.conv) ?? [];
    ordered.splice(insertionIndex(ordered, m), 0, m);
    this.byConv.set(m.conv, ordered);
  }

  private remove(m: StoredMessage): void {
    const list = this.byConv.get(m.conv);
    if (!list) return;
    const guess = insertionIndex(list, m);
    const i = list[guess] === m ? guess : list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
  }
}

/**
 * {@link ClientStorage} in memory: for bots, load generators and the
 * benchmark, where nothing needs to survive the process. Same rules as the
 * IndexedDB implementation (both are a {@link LogCache}), without durability.
 */
export class MemoryStorage extends LogCache {
  constructor() {
    super(new MemoryBackend());
  }
}
