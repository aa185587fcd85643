import {
  BACKFILL_PER_CONVERSATION,
  convListASchema,
  directPeer,
  historyASchema,
  HISTORY_MAX_LIMIT,
  readASchema,
  readNSchema,
  statusASchema,
  STATUS_MAX_IDS,
  type ClientPolicy,
  type ConversationId,
  type ConversationSummary,
  type ReceiptN,
} from '../protocol';
import type { OutStatus } from './status';
import type { Added, ClientStorage, Conversation } from './storage';

/** What conversation sync needs from the connection. */
export interface SyncLink {
  connected(): boolean;
  /** Emits an event with a timeout and resolves with its answer. */
  ask(event: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

/** Dependencies of {@link ConversationSync}. */
export interface SyncDeps {
  userId: string;
  storage: ClientStorage;
  link: SyncLink;
  policy: () => ClientPolicy;
  /** Called with what a history page or status refresh added (already persisted). */
  added: (added: Added) => void;
  /** Called when a conversation's read state or unread count changed. */
  conversation: (row: Conversation) => void;
  /** A request failed (it is retried at the next connection). */
  failed: (error: unknown) => void;
}

/**
 * Keeps this device's picture of the person's conversations in step with
 * the server: the list with read positions and unread counts (`conv:list`),
 * recent history for conversations it has never seen (`history:R`), older
 * pages as the person scrolls up, read positions both ways (`read:R`,
 * `read:N`), and where the person's messages from other devices stand
 * (`status:R`).
 */
export class ConversationSync {
  private polling = false;

  constructor(private readonly deps: SyncDeps) {}

  private get timeout(): number {
    return this.deps.policy().ackTimeoutMs * 2;
  }

  /** After every (re)connect: list, reads, backfill, statuses. */
  async refresh(): Promise<void> {
    try {
      const empty: ConversationId[] = [];
      for (const [c, row] of await this.applyList()) {
        // Never loaded from history:R: the cache holds only what reached this device.
        if (row && row.historyBefore === undefined && !row.complete && c.lastSeq > 0) {
          empty.push(c.conv);
        }
      }
      await this.flushReads();
      for (const conv of empty) await this.older(conv, BACKFILL_PER_CONVERSATION);
      await this.refreshStatuses();
    } catch (error) {
      this.deps.failed(error);
    }
  }

  /**
   * Loads the page of `conv` before what this device has loaded from the
   * server's history (the newest page the first time); false when there is
   * nothing older (or no connection). Pages follow each other without a
   * gap, whatever else catch-up brought meanwhile.
   */
  async older(conv: ConversationId, limit = BACKFILL_PER_CONVERSATION): Promise<boolean> {
    const { storage, link } = this.deps;
    const row = await storage.conversation(conv);
    if (row?.complete || !link.connected()) return false;
    const before = row?.historyBefore ?? Infinity;
    const answer = historyASchema.parse(
      await link.ask(
        'history:R',
        {
          conv,
          limit: Math.min(limit, HISTORY_MAX_LIMIT),
          ...(Number.isFinite(before) ? { before } : {}),
        },
        this.timeout,
      ),
    );
    const added = await storage.addFromServer(this.deps.userId, answer.messages);
    // Entries without a body (expired) are not kept, but they do move the cursor.
    const oldest = answer.messages[0]?.seq ?? (Number.isFinite(before) ? before : 1);
    await storage.historyLoaded(conv, oldest, !answer.more);
    this.deps.added(added);
    return answer.messages.length > 0;
  }

  /** The person read `conv` up to `seq` here: record it, tell the server. */
  async markRead(conv: ConversationId, seq: number): Promise<void> {
    const row = await this.deps.storage.markRead(conv, seq);
    if (!row) return;
    this.deps.conversation(row);
    if (row.readDirty && this.deps.link.connected()) await this.sendRead(row.conv, row.readSeq);
  }

  /** `read:N`: the person read on another device. */
  async onReadN(packet: unknown): Promise<void> {
    const parsed = readNSchema.safeParse(packet);
    if (!parsed.success) return;
    const peer = directPeer(parsed.data.conv, this.deps.userId);
    await this.deps.storage.ensureConversation(
      parsed.data.conv,
      peer === undefined ? {} : { peer },
      parsed.data.through,
      0,
    );
    const row = await this.deps.storage.applyReadState(parsed.data);
    if (row) this.deps.conversation(row);
  }

  private async flushReads(): Promise<void> {
    for (const row of await this.deps.storage.dirtyReads()) {
      await this.sendRead(row.conv, row.readSeq);
    }
  }

  private async sendRead(conv: ConversationId, seq: number): Promise<void> {
    try {
      const answer = readASchema.parse(
        await this.deps.link.ask('read:R', { conv, seq }, this.timeout),
      );
      await this.deps.storage.readSynced(conv, answer.readSeq);
      const row = await this.deps.storage.applyReadState(answer);
      if (row) this.deps.conversation(row);
    } catch (error) {
      this.deps.failed(error);
    }
  }

  /** The conversation list again (a group's name or membership changed). */
  async refreshList(): Promise<void> {
    try {
      await this.applyList();
    } catch (error) {
      this.deps.failed(error);
    }
  }

  /**
   * Asks `conv:list` and applies it: each conversation (who or what it is,
   * how far its log goes) and its read state; returns each with its row.
   */
  private async applyList(): Promise<[ConversationSummary, Conversation | undefined][]> {
    const { storage, link } = this.deps;
    const list = convListASchema.parse(await link.ask('conv:list', {}, this.timeout));
    const applied: [ConversationSummary, Conversation | undefined][] = [];
    for (const c of list.conversations) {
      await storage.ensureConversation(
        c.conv,
        { peer: c.peer ?? '', name: c.name, left: c.left },
        c.lastSeq,
        c.lastTs,
      );
      const row = await storage.applyReadState(c);
      if (row) this.deps.conversation(row);
      applied.push([c, row]);
    }
    return applied;
  }

  /**
   * Between reconnects, on the safety-net timer: where the person's messages
   * that no recipient has yet (`sent`, `stored`) stand now, in case a
   * receipt or `ack:N` was lost on a connection that stayed up. (A lost
   * read receipt waits for the next reconnect.)
   */
  async pollStatuses(): Promise<void> {
    if (this.polling || !this.deps.link.connected()) return;
    this.polling = true;
    try {
      await this.refreshStatuses(['sent', 'stored']);
    } catch (error) {
      this.deps.failed(error);
    } finally {
      this.polling = false;
    }
  }

  /**
   * Asks where the person's recent messages that are not yet read stand
   * (this device missed their receipts while it was away).
   */
  async refreshStatuses(statuses?: OutStatus[]): Promise<void> {
    const { storage, link, userId } = this.deps;
    const open = await storage.ownUnsettled(STATUS_MAX_IDS, statuses);
    if (open.length === 0) return;
    const answer = statusASchema.parse(
      await link.ask('status:R', { ids: open.map((m) => m.id) }, this.timeout),
    );
    const byId = new Map(open.map((m) => [m.id, m]));
    const byConv = new Map<ConversationId, ReceiptN['updates']>();
    for (const s of answer.states) {
      const m = byId.get(s.id);
      if (!m || m.seq === undefined) continue;
      byConv.set(m.conv, [...(byConv.get(m.conv) ?? []), { ...s, seq: m.seq }]);
    }
    for (const [conv, updates] of byConv) {
      const changed = await storage.applyReceipts(userId, { conv, updates });
      this.deps.added({ fresh: [], changed, gap: false });
    }
  }
}
