import type { ConversationId } from '../protocol';
import { LogCache, type Bound, type CacheBackend } from './logCache';
import type { MaybePromise } from './routine';
import { compareMessages, insertionIndex } from './order';
import type { OutStatus } from './status';
import type { Conversation, PendingAck, StoredMessage } from './storage';

function toPosition(b: Bound) {
  return { posA: b[0], posB: b[1], key: b[2] };
}

class MemoryBackend implements CacheBackend {
  private readonly messages = new Map<string, StoredMessage>();
  /** Per conversation, messages in conversation order. */
  private readonly byConv = new Map<string, StoredMessage[]>();
  private readonly convs = new Map<string, Conversation>();
  private readonly meta = new Map<string, unknown>();
  private readonly acks = new Map<string, PendingAck>();
  /**
   * Every call is synchronous, so a routine runs to its end without
   * yielding: nothing else can run in between.
   */
  atomic<T>(fn: () => MaybePromise<T>): MaybePromise<T> {
    return fn();
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
      if (old) this.remove(old);
      const copy = { ...m };
      this.messages.set(m.key, copy);
      const ordered = this.byConv.get(m.conv) ?? [];
      ordered.splice(insertionIndex(ordered, copy), 0, copy);
      this.byConv.set(m.conv, ordered);
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
    this.convs.set(row.conv, { ...row });
  }

  allConversations(): Conversation[] {
    return [...this.convs.values()].map((r) => ({ ...r }));
  }

  getMeta(name: string): unknown {
    return this.meta.get(name);
  }

  setMeta(name: string, value: unknown): void {
    this.meta.set(name, value);
  }

  putAcks(list: PendingAck[]): void {
    for (const a of list) this.acks.set(a.key, { ...a });
  }

  deleteAcks(keys: string[]): void {
    for (const key of keys) this.acks.delete(key);
  }

  allAcks(): PendingAck[] {
    return [...this.acks.values()].map((a) => ({ ...a }));
  }

  close(): void {}

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
