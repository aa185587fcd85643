import {
  isGroupId,
  type ConversationId,
  type HistoryEntry,
  type LogMsgN,
  type ReplyQuote,
} from '../protocol';
import type { GroupChange } from './groups';
import type { Pushes } from './pushes';
import type { Receipts } from './receipts';
import { replyOf, type LogRow, type Store } from './store';

/** What an entry is made of: a row of the log (or one just stored, before it is read back). */
export type EntryRow = Omit<LogRow, 'gseq'>;

/** A text message just stored, as the log now holds it (the row {@link Entries.of} reads back). */
export function textRow(message: {
  conv: ConversationId;
  seq: number;
  sender: string;
  id: string;
  recipient: string;
  body: string;
  ts: number;
  recipients: number;
  reply?: ReplyQuote;
}): EntryRow & { body: string } {
  const { reply, ...fields } = message;
  return {
    ...fields,
    deliveredAt: null,
    kind: 'text',
    replySeq: reply?.seq ?? null,
    replyFrom: reply?.from ?? null,
    replyId: reply?.id ?? null,
    replyExcerpt: reply?.excerpt ?? null,
  };
}

/** A group's system entry just appended (a membership change), as the log now holds it. */
export function systemRow(change: GroupChange): EntryRow & { body: string } {
  const { entry, conv } = change;
  return {
    conv,
    seq: entry.seq,
    sender: entry.sender,
    id: entry.id,
    recipient: conv,
    body: entry.body,
    ts: entry.ts,
    deliveredAt: null,
    kind: 'system',
    recipients: 0,
    replySeq: null,
    replyFrom: null,
    replyId: null,
    replyExcerpt: null,
  };
}

/**
 * The one definition of a log entry as a person receives it — pushed
 * (`msg:N`), pulled (`offline:A`) or paged (`history:A`): the entry's
 * fields, the quote of the message it replies to only where the viewer
 * could see that message (a membership period covers it), and on the
 * person's own messages where they stand (`state`, `receipt`).
 */
export class Entries {
  constructor(
    private readonly store: Store,
    private readonly receipts: Receipts,
    private readonly pushes: Pushes,
  ) {}

  /** `row` as `viewer` receives it; an expired entry (no body) comes without one. */
  of(row: EntryRow, viewer: string): HistoryEntry {
    const entry: HistoryEntry = {
      id: row.id,
      from: row.sender,
      to: row.recipient,
      ts: row.ts,
      seq: row.seq,
      conv: row.conv,
    };
    if (row.body !== null) entry.body = row.body;
    const quoted = replyOf(row);
    if (quoted) {
      entry.reply = this.quoteVisible(row, viewer) ? quoted : { ...quoted, excerpt: '' };
    }
    if (row.kind === 'system') entry.kind = 'system';
    else if (row.sender === viewer && row.recipient !== viewer) {
      Object.assign(entry, this.receipts.compute(row));
    }
    return entry;
  }

  /** A stored entry (it has a body) as `viewer` receives it in a push or a catch-up page. */
  push(row: EntryRow & { body: string }, viewer: string): LogMsgN {
    return this.of(row, viewer) as LogMsgN;
  }

  /**
   * A new entry of a group to `users` (one encoding per kind of view: with
   * the quote, and without it for those who could not see the quoted
   * message), except the device that wrote it when given.
   */
  toMembers(row: EntryRow & { body: string }, users: string[], exceptDevice?: string): void {
    const [first] = users;
    if (first === undefined) return;
    if (row.replySeq === null) {
      this.pushes.toPeople(users, this.push(row, first), exceptDevice);
      return;
    }
    const seeing = users.filter((u) => this.quoteVisible(row, u));
    const blind = users.filter((u) => !this.quoteVisible(row, u));
    if (seeing.length > 0) this.pushes.toPeople(seeing, this.push(row, seeing[0]!), exceptDevice);
    if (blind.length > 0) this.pushes.toPeople(blind, this.push(row, blind[0]!), exceptDevice);
  }

  /** A message `user` wrote on `device`, to their other protocol-2 devices (made only when there is one). */
  toOtherDevices(row: EntryRow & { body: string }, device: string, deviceIsMirror: boolean): void {
    if (this.pushes.hasOtherDevices(row.sender, device, deviceIsMirror)) {
      this.pushes.toPeople([row.sender], this.push(row, row.sender), device);
    }
  }

  /** Whether `viewer` could see the message `row` replies to. */
  private quoteVisible(row: EntryRow, viewer: string): boolean {
    if (row.replySeq === null || !isGroupId(row.conv)) return true;
    return this.store.sawSeq(row.conv, viewer, row.replySeq);
  }
}
