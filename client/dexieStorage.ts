import Dexie, { type Table, type Transaction } from 'dexie';
import { directConversationId, type ConversationId } from '../protocol';
import { LogCache, emptyConversation, type Bound, type CacheBackend } from './logCache';
import type { MaybePromise } from './routine';
import type { OutStatus } from './status';
import type { Conversation, PendingAck, StoredMessage } from './storage';

interface MetaRow {
  name: string;
  value: unknown;
}

/** A message as version 1 of this database kept it. */
interface V1Message extends Omit<StoredMessage, 'conv' | 'posA' | 'posB'> {
  sortTs?: number;
  conv?: ConversationId;
  posA?: number;
  posB?: number;
}

/** A conversation as version 1 kept it (keyed by peer). */
interface V1Conversation {
  peer: string;
  lastKey: string;
  lastSortTs: number;
  unread: number;
}

/**
 * Version 1 → 2: messages get their conversation id and keep the order the
 * person saw, as a block before everything stored since (`legacy`, position
 * `[0, old time]`); conversations are re-keyed by conversation id, and their
 * unread counts are kept until the person reads them. Everything stays
 * visible, nothing moves.
 */
async function upgradeFromV1(tx: Transaction): Promise<void> {
  const convOf = new Map<string, ConversationId>();
  await tx
    .table<V1Message, string>('messages')
    .toCollection()
    .modify((m) => {
      m.conv = directConversationId(m.from, m.to);
      convOf.set(m.key, m.conv);
      m.posA = 0;
      m.posB = Math.max(1, m.sortTs ?? m.ts ?? 1);
      m.legacy = true;
      if (m.direction === 'out') {
        m.outbox = true;
        m.composedAt = m.sortTs;
      }
      delete m.sortTs;
    });
  const old = await tx.table<V1Conversation, string>('conversations').toArray();
  const rows: Conversation[] = [];
  for (const c of old) {
    const conv = convOf.get(c.lastKey);
    if (!conv) continue;
    const row = emptyConversation(conv, c.peer);
    row.lastKey = c.lastKey;
    row.lastPosA = 0;
    row.lastPosB = Math.max(1, c.lastSortTs);
    row.activity = c.lastSortTs;
    row.legacyUnread = c.unread;
    row.unread = c.unread;
    rows.push(row);
  }
  await tx.table<Conversation, string>('convs').bulkPut(rows);
}

class TicklineDb extends Dexie {
  messages!: Table<StoredMessage, string>;
  convs!: Table<Conversation, string>;
  meta!: Table<MetaRow, string>;
  acks!: Table<PendingAck, string>;

  constructor(name: string, deps?: DexieDeps) {
    super(name, deps);
    this.version(1).stores({
      messages: 'key, [peer+sortTs+key], status',
      conversations: 'peer, lastSortTs',
      meta: 'name',
    });
    this.version(2)
      .stores({
        messages: 'key, [conv+posA+posB+key], status',
        convs: 'conv',
        conversations: 'peer, lastSortTs',
        meta: 'name',
      })
      .upgrade(upgradeFromV1);
    this.version(3).stores({ conversations: null });
    // Version 4: confirmations owed to the server (`ack:R` until `ack:A`). A
    // new, empty store: nothing older owed one that the next pull will not repair.
    this.version(4).stores({ acks: 'key' });
  }
}

/** IndexedDB implementation to use where the global one is absent (tests: fake-indexeddb). */
export interface DexieDeps {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

/** The {@link CacheBackend} on IndexedDB: each `atomic` call is one Dexie transaction. */
export class DexieBackend implements CacheBackend {
  private readonly db: TicklineDb;

  /** Opens (creating or upgrading) the database `name`. */
  constructor(name: string, deps?: DexieDeps) {
    this.db = new TicklineDb(name, deps);
  }

  atomic<T>(fn: () => MaybePromise<T>): Promise<T> {
    return this.db.transaction(
      'rw',
      [this.db.messages, this.db.convs, this.db.meta, this.db.acks],
      () => Promise.resolve(fn()),
    );
  }

  getMessages(keys: string[]): Promise<(StoredMessage | undefined)[]> {
    return this.db.messages.bulkGet(keys);
  }

  async putMessages(list: StoredMessage[]): Promise<void> {
    if (list.length > 0) await this.db.messages.bulkPut(list);
  }

  range(
    conv: ConversationId,
    lower: Bound | undefined,
    upper: Bound | undefined,
    limit: number,
    reverse: boolean,
  ): Promise<StoredMessage[]> {
    let collection = this.db.messages
      .where('[conv+posA+posB+key]')
      .between(
        lower ? [conv, ...lower] : [conv, Dexie.minKey, Dexie.minKey, Dexie.minKey],
        upper ? [conv, ...upper] : [conv, Dexie.maxKey, Dexie.maxKey, Dexie.maxKey],
        false,
        false,
      );
    if (reverse) collection = collection.reverse();
    return (Number.isFinite(limit) ? collection.limit(limit) : collection).toArray();
  }

  byStatus(statuses: OutStatus[]): Promise<StoredMessage[]> {
    return this.db.messages.where('status').anyOf(statuses).toArray();
  }

  getConversation(conv: ConversationId): Promise<Conversation | undefined> {
    return this.db.convs.get(conv);
  }

  async putConversation(row: Conversation): Promise<void> {
    await this.db.convs.put(row);
  }

  allConversations(): Promise<Conversation[]> {
    return this.db.convs.toArray();
  }

  async getMeta(name: string): Promise<unknown> {
    return (await this.db.meta.get(name))?.value;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    await this.db.meta.put({ name, value });
  }

  async putAcks(list: PendingAck[]): Promise<void> {
    if (list.length > 0) await this.db.acks.bulkPut(list);
  }

  async deleteAcks(keys: string[]): Promise<void> {
    await this.db.acks.bulkDelete(keys);
  }

  allAcks(): Promise<PendingAck[]> {
    return this.db.acks.toArray();
  }

  close(): void {
    this.db.close();
  }

  /** Closes the database and deletes it, with everything in it, from this device. */
  deleteDatabase(): Promise<void> {
    return this.db.delete();
  }
}

/**
 * {@link ClientStorage} on IndexedDB through Dexie. One database per signed-in
 * user (name it after the server and user id).
 */
export class DexieStorage extends LogCache {
  private readonly dexie: DexieBackend;

  constructor(name: string, deps?: DexieDeps) {
    const backend = new DexieBackend(name, deps);
    super(backend);
    this.dexie = backend;
  }

  /**
   * Deletes this user's database from the device (a sign-out that leaves no
   * history behind). Call it once the engine using it is closed; it closes the
   * database first, and other tabs' connections to it close on the deletion.
   */
  deleteDatabase(): Promise<void> {
    return this.dexie.deleteDatabase();
  }
}
