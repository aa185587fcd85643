import {
  directPeer,
  isGroupId,
  type ConversationId,
  type OutState,
  type ReadState,
  type ReceiptN,
} from '../protocol';
import { compareMessages, positionOf } from './order';
import { runRoutine, step, type MaybePromise, type Routine } from './routine';
import { canAdvance, canApplyReceipt, type OutStatus } from './status';
import {
  messageKey,
  type Added,
  type ClientStorage,
  type Conversation,
  type ConversationDetails,
  type ConversationSummary,
  type AddOptions,
  type AdvancePatch,
  type HistoryQuery,
  type PendingAck,
  type ServerEntry,
  type StoredMessage,
} from './storage';

/** An exclusive bound of a range of one conversation, in conversation order. */
export type Bound = readonly [posA: number, posB: number, key: string];

/** Below every position of a given `posA`. */
const LOW_KEY = '';
/** Above every position of a given `posA`. */
const HIGH_KEY = '\uffff';
const HIGH_B = Number.MAX_SAFE_INTEGER;

/**
 * The primitive operations a storage backend gives {@link LogCache}. A
 * backend answers with values (memory) or promises (IndexedDB); every call
 * made inside one `atomic` callback belongs to one transaction.
 */
export interface CacheBackend {
  /** Runs `fn` atomically; `fn` may only wait for this backend's calls. */
  atomic<T>(fn: () => MaybePromise<T>): MaybePromise<T>;
  getMessages(keys: string[]): MaybePromise<(StoredMessage | undefined)[]>;
  putMessages(list: StoredMessage[]): MaybePromise<void>;
  /**
   * Messages of `conv` strictly between two bounds, in order or reversed,
   * at most `limit` (may be `Infinity`).
   */
  range(
    conv: ConversationId,
    lower: Bound | undefined,
    upper: Bound | undefined,
    limit: number,
    reverse: boolean,
  ): MaybePromise<StoredMessage[]>;
  /** Messages in any of the given statuses. */
  byStatus(statuses: OutStatus[]): MaybePromise<StoredMessage[]>;
  getConversation(conv: ConversationId): MaybePromise<Conversation | undefined>;
  putConversation(row: Conversation): MaybePromise<void>;
  allConversations(): MaybePromise<Conversation[]>;
  getMeta(name: string): MaybePromise<unknown>;
  setMeta(name: string, value: unknown): MaybePromise<void>;
  /** Records confirmations owed (overwriting the same key). */
  putAcks(list: PendingAck[]): MaybePromise<void>;
  deleteAcks(keys: string[]): MaybePromise<void>;
  allAcks(): MaybePromise<PendingAck[]>;
  close(): void;
}

const STATUS_OF: Record<OutState, OutStatus> = {
  sent: 'sent',
  stored: 'stored',
  delivered: 'delivered',
  read: 'read',
};

/** A conversation row with nothing in it yet. */
export function emptyConversation(conv: ConversationId, peer: string): Conversation {
  return {
    conv,
    kind: isGroupId(conv) ? 'group' : 'direct',
    peer,
    activity: 0,
    lastSeq: 0,
    complete: false,
    readSeq: 0,
    readDirty: false,
    snapUnread: 0,
    snapThrough: 0,
    liveUnread: 0,
    legacyUnread: 0,
    unread: 0,
  };
}

function withUnread(row: Conversation): Conversation {
  row.unread = row.snapUnread + row.liveUnread + row.legacyUnread;
  return row;
}

/**
 * {@link ClientStorage}'s rules (order, dedup, status, unread counts) over a
 * {@link CacheBackend}, so that every backend behaves the same. Each method
 * is a {@link Routine}: synchronous over memory, asynchronous over IndexedDB.
 */
export class LogCache implements ClientStorage {
  constructor(private readonly backend: CacheBackend) {}

  addOutgoing(message: StoredMessage): Promise<StoredMessage> {
    return this.atomic(this.addOutgoingRoutine(message));
  }

  advance(
    key: string,
    status: OutStatus,
    patch: AdvancePatch = {},
  ): Promise<StoredMessage | undefined> {
    return this.atomic(this.advanceRoutine(key, status, patch));
  }

  addFromServer(me: string, entries: ServerEntry[], options: AddOptions = {}): Promise<Added> {
    if (entries.length === 0) return Promise.resolve({ fresh: [], changed: [], gap: false });
    return this.atomic(this.addFromServerRoutine(me, entries, options.pendingAck === true));
  }

  async pendingAcks(): Promise<PendingAck[]> {
    return [...(await this.backend.allAcks())];
  }

  async acksSettled(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.backend.deleteAcks(keys);
  }

  historyLoaded(conv: ConversationId, before: number, complete: boolean): Promise<void> {
    const backend = this.backend;
    return this.atomic(
      (function* () {
        const row = yield* step(backend.getConversation(conv));
        if (!row) return;
        row.historyBefore = Math.min(row.historyBefore ?? before, before);
        row.complete ||= complete;
        yield* step(backend.putConversation(row));
      })(),
    );
  }

  async get(key: string): Promise<StoredMessage | undefined> {
    const [m] = await this.backend.getMessages([key]);
    return m;
  }

  async outgoingByStatus(statuses: OutStatus[]): Promise<StoredMessage[]> {
    const rows = await this.backend.byStatus(statuses);
    return rows
      .filter((m) => m.outbox === true)
      .sort((a, b) => (a.composedAt ?? 0) - (b.composedAt ?? 0));
  }

  async ownUnsettled(
    limit: number,
    statuses: OutStatus[] = ['sent', 'stored', 'delivered'],
  ): Promise<StoredMessage[]> {
    const rows = await this.backend.byStatus(statuses);
    return rows
      .filter((m) => m.direction === 'out' && m.seq !== undefined)
      .sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0))
      .slice(0, limit);
  }

  async history(conv: ConversationId, query: HistoryQuery): Promise<StoredMessage[]> {
    const upper: Bound | undefined = query.before
      ? [query.before.posA, query.before.posB, query.before.key]
      : undefined;
    return this.backend.range(conv, undefined, upper, query.limit, true);
  }

  async conversations(): Promise<ConversationSummary[]> {
    const rows = await this.backend.allConversations();
    rows.sort((a, b) => b.activity - a.activity);
    const lasts = await this.backend.getMessages(rows.map((r) => r.lastKey ?? ''));
    return rows.map((r, i) => ({ ...r, last: lasts[i] }));
  }

  async conversation(conv: ConversationId): Promise<Conversation | undefined> {
    return this.backend.getConversation(conv);
  }

  ensureConversation(
    conv: ConversationId,
    details: ConversationDetails,
    lastSeq: number,
    activity: number,
  ): Promise<void> {
    const backend = this.backend;
    return this.atomic(
      (function* () {
        const row =
          (yield* step(backend.getConversation(conv))) ??
          emptyConversation(conv, details.peer ?? '');
        const next: Conversation = {
          ...row,
          lastSeq: Math.max(row.lastSeq, lastSeq),
          activity: Math.max(row.activity, activity),
          ...(details.peer !== undefined ? { peer: details.peer } : {}),
          ...(details.name !== undefined ? { name: details.name } : {}),
          ...(details.left !== undefined ? { left: details.left } : {}),
        };
        if (JSON.stringify(next) === JSON.stringify(row)) return;
        yield* step(backend.putConversation(next));
      })(),
    );
  }

  applyReceipts(me: string, packet: ReceiptN): Promise<StoredMessage[]> {
    const backend = this.backend;
    const touch = (row: Conversation, m: StoredMessage) => this.touch(row, m);
    return this.atomic(
      (function* () {
        const keys = packet.updates.map((u) => messageKey(me, u.id));
        const current = yield* step(backend.getMessages(keys));
        const changed: StoredMessage[] = [];
        const placed: StoredMessage[] = [];
        packet.updates.forEach((u, i) => {
          const m = current[i];
          if (!m?.status || m.direction !== 'out') return;
          // A receipt names the message's place: a device whose msg:A was lost
          // learns it here (else the message would stay where it was written).
          const located =
            m.seq === undefined && !m.legacy
              ? { ...m, seq: u.seq, ...positionOf(u.seq, 0, 0) }
              : undefined;
          const next = withReceipt(located ?? m, STATUS_OF[u.state], u.receipt) ?? located;
          if (!next) return;
          changed.push(next);
          if (located) placed.push(next);
        });
        if (changed.length > 0) yield* step(backend.putMessages(changed));
        for (const m of placed) {
          const row =
            (yield* step(backend.getConversation(m.conv))) ?? emptyConversation(m.conv, m.peer);
          touch(row, m);
          yield* step(backend.putConversation(row));
        }
        return changed;
      })(),
    );
  }

  applyReadState(state: ReadState): Promise<Conversation | undefined> {
    return this.atomic(this.applyReadStateRoutine(state));
  }

  markRead(conv: ConversationId, seq: number): Promise<Conversation | undefined> {
    return this.atomic(this.markReadRoutine(conv, seq));
  }

  readSynced(conv: ConversationId, readSeq: number): Promise<void> {
    const backend = this.backend;
    return this.atomic(
      (function* () {
        const row = yield* step(backend.getConversation(conv));
        if (!row?.readDirty || row.readSeq > readSeq) return;
        row.readDirty = false;
        yield* step(backend.putConversation(row));
      })(),
    );
  }

  async dirtyReads(): Promise<Conversation[]> {
    return (await this.backend.allConversations()).filter((r) => r.readDirty);
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return (await this.backend.getMeta(name)) as T | undefined;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    await this.backend.setMeta(name, value);
  }

  close(): void {
    this.backend.close();
  }

  /** Runs a routine in one transaction of the backend. */
  private atomic<T>(routine: Routine<T>): Promise<T> {
    try {
      return Promise.resolve(this.backend.atomic(() => runRoutine(routine)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private *addOutgoingRoutine(written: StoredMessage): Routine<StoredMessage> {
    const [existing] = yield* step(this.backend.getMessages([written.key]));
    if (existing) throw new Error(`duplicate key ${written.key}`);
    const row =
      (yield* step(this.backend.getConversation(written.conv))) ??
      emptyConversation(written.conv, written.peer);
    // Not sequenced yet: right after the newest message known now.
    const message =
      written.seq === undefined && !written.legacy
        ? { ...written, ...positionOf(undefined, row.lastSeq, written.composedAt ?? 1) }
        : written;
    yield* step(this.backend.putMessages([message]));
    this.touch(row, message);
    yield* step(this.backend.putConversation(row));
    return message;
  }

  private *advanceRoutine(
    key: string,
    status: OutStatus,
    patch: AdvancePatch,
  ): Routine<StoredMessage | undefined> {
    const [current] = yield* step(this.backend.getMessages([key]));
    if (!current?.status) return undefined;
    const next: StoredMessage = { ...current };
    let changed = false;
    let moved = false;
    if (canAdvance(current.status, status)) {
      next.status = status;
      if (patch.deadline !== undefined) next.deadline = patch.deadline;
      if (patch.composedAt !== undefined && next.seq === undefined && !next.legacy) {
        // Written anew: after the newest message known now.
        const row = yield* step(this.backend.getConversation(next.conv));
        next.composedAt = patch.composedAt;
        Object.assign(next, positionOf(undefined, row?.lastSeq ?? 0, patch.composedAt));
        moved = true;
      }
      changed = true;
    }
    if (patch.ts !== undefined && next.ts === undefined) {
      next.ts = patch.ts;
      changed = true;
    }
    if (patch.seq !== undefined && next.seq === undefined) {
      next.seq = patch.seq;
      if (!next.legacy) Object.assign(next, positionOf(patch.seq, 0, 0));
      changed = true;
    }
    if (!changed) return undefined;
    yield* step(this.backend.putMessages([next]));
    if (next.seq !== current.seq || moved) {
      const row =
        (yield* step(this.backend.getConversation(next.conv))) ??
        emptyConversation(next.conv, next.peer);
      this.touch(row, next);
      yield* step(this.backend.putConversation(row));
    }
    return next;
  }

  private *addFromServerRoutine(
    me: string,
    entries: ServerEntry[],
    pendingAck: boolean,
  ): Routine<Added> {
    const unique = [...new Map(entries.map((e) => [messageKey(e.from, e.id), e])).values()];
    if (pendingAck) {
      const acks = unique.map((e) => ({ key: messageKey(e.from, e.id), from: e.from, id: e.id }));
      yield* step(this.backend.putAcks(acks));
    }
    const existing = yield* step(
      this.backend.getMessages(unique.map((e) => messageKey(e.from, e.id))),
    );
    const fresh: StoredMessage[] = [];
    const changed: StoredMessage[] = [];
    unique.forEach((e, i) => {
      const had = existing[i];
      if (had) {
        const next = this.merge(had, e);
        if (next) changed.push(next);
        return;
      }
      if (e.body === undefined) return; // expired on the server, never seen here
      const system = e.kind === 'system';
      const out = e.from === me && !system;
      const m: StoredMessage = {
        key: messageKey(e.from, e.id),
        id: e.id,
        from: e.from,
        to: e.to,
        conv: e.conv,
        peer: isGroupId(e.conv) ? '' : (directPeer(e.conv, me) ?? (out ? e.to : e.from)),
        direction: out ? 'out' : 'in',
        body: e.body,
        seq: e.seq,
        ts: e.ts,
        ...positionOf(e.seq, 0, 0),
      };
      if (system) m.kind = 'system';
      if (e.reply) m.reply = e.reply;
      if (out) {
        m.status = STATUS_OF[e.state ?? (e.to === me ? 'delivered' : 'sent')];
        if (e.receipt) m.receipt = e.receipt;
      }
      fresh.push(m);
    });
    let gap = false;
    if (fresh.length + changed.length === 0) return { fresh, changed, gap };
    yield* step(this.backend.putMessages([...fresh, ...changed]));
    const byConv = new Map<ConversationId, StoredMessage[]>();
    for (const m of [...fresh, ...changed]) byConv.set(m.conv, [...(byConv.get(m.conv) ?? []), m]);
    const freshKeys = new Set(fresh.map((m) => m.key));
    for (const [conv, list] of byConv) {
      const row =
        (yield* step(this.backend.getConversation(conv))) ?? emptyConversation(conv, list[0]!.peer);
      const known = row.lastSeq;
      if (known > 0 && list.some((m) => freshKeys.has(m.key) && (m.seq ?? 0) > known + 1)) {
        gap = true;
      }
      for (const m of list) {
        const wasUnreadBefore = Math.max(row.snapThrough, row.readSeq);
        this.touch(row, m);
        if (
          freshKeys.has(m.key) &&
          m.direction === 'in' &&
          m.kind !== 'system' &&
          (m.seq ?? 0) > wasUnreadBefore
        ) {
          row.liveUnread++;
        }
      }
      yield* step(this.backend.putConversation(withUnread(row)));
    }
    return { fresh, changed, gap };
  }

  private *applyReadStateRoutine(state: ReadState): Routine<Conversation | undefined> {
    const row = yield* step(this.backend.getConversation(state.conv));
    if (!row) return undefined;
    const readSeq = Math.max(row.readSeq, state.readSeq);
    if (state.through >= row.snapThrough) {
      // Messages this device already read beyond the server's position are not unread.
      const extra =
        readSeq > state.readSeq
          ? yield* this.countIncoming(state.conv, state.readSeq, Math.min(readSeq, state.through))
          : 0;
      row.snapUnread = Math.max(0, state.unread - extra);
      row.snapThrough = state.through;
    }
    if (state.readSeq >= readSeq) row.readDirty = false;
    row.readSeq = readSeq;
    row.lastSeq = Math.max(row.lastSeq, state.through);
    row.liveUnread = yield* this.countIncoming(
      state.conv,
      Math.max(row.snapThrough, readSeq),
      undefined,
    );
    yield* step(this.backend.putConversation(withUnread(row)));
    return row;
  }

  private *markReadRoutine(conv: ConversationId, seq: number): Routine<Conversation | undefined> {
    const row = yield* step(this.backend.getConversation(conv));
    if (!row) return undefined;
    const readSeq = Math.max(row.readSeq, seq);
    row.snapUnread =
      readSeq >= row.snapThrough ? 0 : yield* this.countIncoming(conv, readSeq, row.snapThrough);
    row.liveUnread = yield* this.countIncoming(conv, Math.max(row.snapThrough, readSeq), undefined);
    row.legacyUnread = 0;
    if (readSeq > row.readSeq) row.readDirty = true;
    row.readSeq = readSeq;
    yield* step(this.backend.putConversation(withUnread(row)));
    return row;
  }

  /** Folds a server entry into a message this device has; the new version, or undefined. */
  private merge(had: StoredMessage, e: ServerEntry): StoredMessage | undefined {
    const next: StoredMessage = { ...had };
    let changed = false;
    // A place first learnt, or a new one: the server pushes a message before
    // its commit, and one whose commit was lost (a crash) is stored again, at
    // the next free seq, when its sender retransmits it. The server's latest
    // word is its place (docs/PROTOCOL.md §4, "msg:N before the commit").
    if (next.seq === undefined || (next.seq !== e.seq && !next.legacy)) {
      next.seq = e.seq;
      next.ts = e.ts;
      if (!next.legacy) Object.assign(next, positionOf(e.seq, 0, 0));
      changed = true;
    }
    if (had.direction === 'out' && had.status && e.state) {
      const updated = withReceipt(next, STATUS_OF[e.state], e.receipt);
      if (updated) return updated;
    }
    return changed ? next : undefined;
  }

  /** Updates a conversation row for a message added or moved into place. */
  private touch(row: Conversation, m: StoredMessage): void {
    const lastPos = row.lastKey
      ? { posA: row.lastPosA ?? 0, posB: row.lastPosB ?? 0, key: row.lastKey }
      : undefined;
    if (!lastPos || row.lastKey === m.key || compareMessages(m, lastPos) >= 0) {
      row.lastKey = m.key;
      row.lastPosA = m.posA;
      row.lastPosB = m.posB;
    }
    row.activity = Math.max(row.activity, m.ts ?? m.composedAt ?? 0);
    if (m.seq !== undefined) row.lastSeq = Math.max(row.lastSeq, m.seq);
  }

  /** Incoming messages of `conv` cached with `lo < seq ≤ hi` (no upper bound when undefined). */
  private *countIncoming(
    conv: ConversationId,
    lo: number,
    hi: number | undefined,
  ): Routine<number> {
    const rows = yield* step(
      this.backend.range(
        conv,
        [lo, HIGH_B, HIGH_KEY],
        hi === undefined ? undefined : [hi + 1, -1, LOW_KEY],
        Infinity,
        false,
      ),
    );
    return rows.filter((m) => m.direction === 'in' && m.seq !== undefined && m.kind !== 'system')
      .length;
  }
}

/** `m` with the server's status and counts, or undefined when they change nothing. */
function withReceipt(
  m: StoredMessage,
  status: OutStatus,
  receipt: StoredMessage['receipt'],
): StoredMessage | undefined {
  const moves = m.status !== undefined && canApplyReceipt(m.status, status);
  const counts =
    receipt !== undefined &&
    (m.receipt === undefined ||
      receipt.delivered > m.receipt.delivered ||
      receipt.read > m.receipt.read ||
      receipt.recipients !== m.receipt.recipients);
  if (!moves && !counts) return undefined;
  return { ...m, ...(moves ? { status } : {}), ...(counts ? { receipt } : {}) };
}
