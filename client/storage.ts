import type {
  ConversationId,
  HistoryEntry,
  ReadState,
  ReceiptCounts,
  ReceiptN,
  ReplyQuote,
} from '../protocol';
import type { OutStatus } from './status';

/** One message as the client keeps it: a cached entry of a conversation's log. */
export interface StoredMessage {
  /** `from/id`: unique for ever (ids and user ids never contain `/`). */
  key: string;
  id: string;
  from: string;
  to: string;
  /** The conversation (see `directConversationId`). */
  conv: ConversationId;
  /** The other party of a direct conversation (the user for a note to self); `''` in a group. */
  peer: string;
  /** `out`: written by this person (on this or another of their devices). */
  direction: 'out' | 'in';
  body: string;
  /** Place in the conversation's log, once the server has assigned it. */
  seq?: number;
  /** Server time, once known. */
  ts?: number;
  /**
   * Order within the conversation (see `client/order.ts`): `[seq, 0]` once
   * sequenced; `[highest seq known when written, compose time]` before.
   */
  posA: number;
  posB: number;
  /** Outgoing only. */
  status?: OutStatus;
  /** Outbox only: when a message without msg:A turns `failed`. */
  deadline?: number;
  /** Written on this device: in its outbox, retransmitted until the server has it. */
  outbox?: boolean;
  /** Outbox only: this device's clock when it was written. */
  composedAt?: number;
  /**
   * Kept from a v1 local database: it keeps the place it had then (a block
   * before everything stored since the upgrade), even once its `seq` is known.
   */
  legacy?: true;
  /** `system`: a membership change of a group; `body` is a `GroupEvent` as JSON. */
  kind?: 'system';
  /** Outgoing: how many recipients have it and have read it. */
  receipt?: ReceiptCounts;
  /** A reply: the message it answers (an earlier message of the same conversation). */
  reply?: ReplyQuote;
}

/** A conversation as the client keeps it. */
export interface Conversation {
  conv: ConversationId;
  kind: 'direct' | 'group';
  /** Direct: the other person. Group: `''`. */
  peer: string;
  /** Group: its name. */
  name?: string;
  /** Group: the person is no longer a member (they keep what they had). */
  left?: boolean;
  /** Key of the newest message in conversation order, and its position. */
  lastKey?: string;
  lastPosA?: number;
  lastPosB?: number;
  /** When it last saw activity (server time where known), for sorting the list. */
  activity: number;
  /** Highest `seq` known, from messages or from the server. */
  lastSeq: number;
  /** The server's history has been asked for down to (not including) this `seq`. */
  historyBefore?: number;
  /** The server has nothing older than what was loaded. */
  complete: boolean;
  /** The person's read position (highest `seq` read, on any device). */
  readSeq: number;
  /** Not yet confirmed by the server. */
  readDirty: boolean;
  /** Server count of unread messages up to {@link snapThrough}. */
  snapUnread: number;
  snapThrough: number;
  /** Cached incoming messages after both {@link snapThrough} and {@link readSeq}. */
  liveUnread: number;
  /** Unread count carried over from a v1 local database, until read. */
  legacyUnread: number;
  /** What the contact list shows. */
  unread: number;
}

/** What the server says a conversation is: the other person, or a group's name and whether the person left it. */
export interface ConversationDetails {
  peer?: string;
  name?: string;
  left?: boolean;
}

/** A conversation with its newest message, for the contact list. */
export interface ConversationSummary extends Conversation {
  last: StoredMessage | undefined;
}

/** A page request: newest first, strictly before the cursor. */
export interface HistoryQuery {
  limit: number;
  before?: { posA: number; posB: number; key: string };
}

/** What adding server entries changed. */
export interface Added {
  /** Messages new to this device (shown now). */
  fresh: StoredMessage[];
  /** Messages it had, now with their `seq` or a newer status. */
  changed: StoredMessage[];
  /**
   * A new message skipped `seq`s after the highest this device knew in its
   * conversation: something between was missed (a pull will bring it).
   */
  gap: boolean;
}

/** A message from the server: a push, a catch-up entry or a history entry (no body once expired). */
export type ServerEntry = HistoryEntry;

/**
 * A confirmation (`ack:R`) this device owes the server for a pushed message:
 * written in the same transaction as the message, removed when `ack:A` (or
 * `not_found`) arrives, resent after a restart.
 */
export interface PendingAck {
  /** `from/id` of the message. */
  key: string;
  from: string;
  id: string;
}

/** What {@link ClientStorage.advance} records besides the status. */
export interface AdvancePatch {
  ts?: number;
  seq?: number;
  deadline?: number;
  composedAt?: number;
}

/** Options of {@link ClientStorage.addFromServer}. */
export interface AddOptions {
  /** Also record a {@link PendingAck} for every entry (live pushes, `msg:N`). */
  pendingAck?: boolean;
}

/** Message key of `(from, id)`. */
export function messageKey(from: string, id: string): string {
  return `${from}/${id}`;
}

/**
 * The engine's durable storage: a cache of the server's conversation logs
 * plus this device's outbox. Implementations make each call atomic and apply
 * calls touching the same message in the order they were made.
 */
export interface ClientStorage {
  /**
   * Adds a new outgoing message (before its first transmission). One not
   * sequenced yet is placed after the newest message known at that moment;
   * returns the message as stored.
   */
  addOutgoing(message: StoredMessage): Promise<StoredMessage>;
  /**
   * Moves an outgoing message to `status` when {@link canAdvance} allows,
   * and records `seq`/`ts` it did not have yet; returns the updated message,
   * or undefined when nothing changed. With the move, `deadline` replaces its
   * deadline and `composedAt` writes it anew as far as order goes: a message
   * without `seq` then sits after the newest message known now.
   */
  advance(key: string, status: OutStatus, patch?: AdvancePatch): Promise<StoredMessage | undefined>;
  /**
   * Adds entries of conversation logs as `me` sees them, each key once; with
   * `pendingAck`, records in the same transaction that each entry (new or a
   * repeat) is to be confirmed.
   */
  addFromServer(me: string, entries: ServerEntry[], options?: AddOptions): Promise<Added>;
  /** Confirmations still owed to the server (see {@link PendingAck}). */
  pendingAcks(): Promise<PendingAck[]>;
  /** The server has the confirmations of `keys` (or will never need them): forget them. */
  acksSettled(keys: string[]): Promise<void>;
  /**
   * Records that the server's history of `conv` has been loaded down to
   * `before` (and, when `complete`, that there is nothing older).
   */
  historyLoaded(conv: ConversationId, before: number, complete: boolean): Promise<void>;
  /** One message by key. */
  get(key: string): Promise<StoredMessage | undefined>;
  /** This device's outbox messages in the given statuses, oldest first. */
  outgoingByStatus(statuses: OutStatus[]): Promise<StoredMessage[]>;
  /**
   * The person's newest messages (from any device) that the server holds but
   * not all have read (or, given `statuses`, in just those statuses).
   */
  ownUnsettled(limit: number, statuses?: OutStatus[]): Promise<StoredMessage[]>;
  /** A page of one conversation, newest first. */
  history(conv: ConversationId, query: HistoryQuery): Promise<StoredMessage[]>;
  /** All conversations, most recent activity first. */
  conversations(): Promise<ConversationSummary[]>;
  /** One conversation. */
  conversation(conv: ConversationId): Promise<Conversation | undefined>;
  /** Records a conversation the server listed (creating it when new). */
  ensureConversation(
    conv: ConversationId,
    details: ConversationDetails,
    lastSeq: number,
    activity: number,
  ): Promise<void>;
  /** Applies receipts for the person's own messages; returns the messages that changed. */
  applyReceipts(me: string, packet: ReceiptN): Promise<StoredMessage[]>;
  /** Applies the server's word on the read position; returns the updated conversation. */
  applyReadState(state: ReadState): Promise<Conversation | undefined>;
  /** The person read `conv` up to `seq` on this device; returns the updated conversation. */
  markRead(conv: ConversationId, seq: number): Promise<Conversation | undefined>;
  /** The server confirmed the read position `readSeq`. */
  readSynced(conv: ConversationId, readSeq: number): Promise<void>;
  /** Conversations whose read position the server has not confirmed. */
  dirtyReads(): Promise<Conversation[]>;
  /** A small persisted setting (e.g. the last known retry policy). */
  getMeta<T>(name: string): Promise<T | undefined>;
  /** Saves a small persisted setting. */
  setMeta(name: string, value: unknown): Promise<void>;
  /** Releases the database. */
  close(): void;
}
