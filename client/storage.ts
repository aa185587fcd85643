import type { OutStatus } from './status';

/** One message as the client keeps it. */
export interface StoredMessage {
  /** `from/id`: unique for ever (ids and user ids never contain `/`). */
  key: string;
  id: string;
  from: string;
  to: string;
  /** The other party of the conversation. */
  peer: string;
  direction: 'out' | 'in';
  body: string;
  /** Position in the conversation: server `ts` for incoming, compose time for outgoing. */
  sortTs: number;
  /** Server time, once known. */
  ts?: number;
  /** Outgoing only. */
  status?: OutStatus;
  /** Outgoing only: when a message without msg:A turns `failed`. */
  deadline?: number;
}

/** A conversation summary for the contact list. */
export interface Conversation {
  peer: string;
  last: StoredMessage | undefined;
  unread: number;
  /** Time of the latest message, for sorting by recent activity. */
  lastSortTs: number;
}

/** A page request: newest first, strictly before the cursor. */
export interface HistoryQuery {
  limit: number;
  before?: { sortTs: number; key: string };
}

/** Message key of `(from, id)`. */
export function messageKey(from: string, id: string): string {
  return `${from}/${id}`;
}

/**
 * The engine's durable storage. Implementations must make each call atomic
 * and must apply calls touching the same message in the order they were made.
 */
export interface ClientStorage {
  /** Adds a new outgoing message (before its first transmission). */
  addOutgoing(message: StoredMessage): Promise<void>;
  /**
   * Moves an outgoing message to `status` when {@link canAdvance} allows;
   * returns the updated message, or undefined when nothing changed.
   */
  advance(
    key: string,
    status: OutStatus,
    patch?: Partial<Pick<StoredMessage, 'ts' | 'deadline'>>,
  ): Promise<StoredMessage | undefined>;
  /** Adds incoming messages, skipping keys already present; returns the new ones. */
  addIncoming(messages: StoredMessage[]): Promise<StoredMessage[]>;
  /** One message by key. */
  get(key: string): Promise<StoredMessage | undefined>;
  /** Outgoing messages in the given statuses, oldest first. */
  outgoingByStatus(statuses: OutStatus[]): Promise<StoredMessage[]>;
  /** A page of one conversation, newest first. */
  history(peer: string, query: HistoryQuery): Promise<StoredMessage[]>;
  /** All conversations, most recent first. */
  conversations(): Promise<Conversation[]>;
  /** Clears a conversation's unread count. */
  markRead(peer: string): Promise<void>;
  /** A small persisted setting (e.g. the last known retry policy). */
  getMeta<T>(name: string): Promise<T | undefined>;
  /** Saves a small persisted setting. */
  setMeta(name: string, value: unknown): Promise<void>;
  /** Releases the database. */
  close(): void;
}
