import type { StoredMessage } from '../../../client/storage';
import { dayKey } from './time';

/**
 * One row of the virtualized conversation: a message, headed by a day
 * separator when it is the first of its day. Keeping the separator inside
 * the message's row keeps every row keyed by a message, so the list can keep
 * the reader's place when older pages are prepended.
 */
export interface Row {
  key: string;
  message: StoredMessage;
  /** Set on the first message of a day: the time to label the separator with. */
  day: number | null;
}

/** When a message happened, for display: server time when known, else when it was written here. */
export function shownTime(m: Pick<StoredMessage, 'ts' | 'composedAt'>): number {
  return m.ts ?? m.composedAt ?? 0;
}

/** Rows of messages that are in conversation order. */
export function buildRows(messages: readonly StoredMessage[]): Row[] {
  const rows: Row[] = [];
  let day = '';
  for (const message of messages) {
    const ts = shownTime(message);
    const key = dayKey(ts);
    rows.push({ key: message.key, message, day: key !== day ? ts : null });
    day = key;
  }
  return rows;
}
