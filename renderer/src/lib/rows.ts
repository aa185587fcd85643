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
  /**
   * Continues the previous message: same sender, same day, within
   * {@link GROUP_GAP_MS}. Its time is not repeated (a group sender's name is:
   * the UI contract shows it on every incoming group message).
   */
  continued: boolean;
  /** The first unread message: the "New messages" divider goes above it. */
  unread: boolean;
}

/** Messages of one sender closer together than this form a group that shows its time once. */
export const GROUP_GAP_MS = 5 * 60_000;

/** When a message happened, for display: server time when known, else when it was written here. */
export function shownTime(m: Pick<StoredMessage, 'ts' | 'composedAt'>): number {
  return m.ts ?? m.composedAt ?? 0;
}

/** Rows of messages that are in conversation order; `firstUnreadKey` gets the unread divider. */
export function buildRows(
  messages: readonly StoredMessage[],
  firstUnreadKey: string | null = null,
): Row[] {
  const rows: Row[] = [];
  let day = '';
  let previous: StoredMessage | undefined;
  for (const message of messages) {
    const ts = shownTime(message);
    const key = dayKey(ts);
    const newDay = key !== day;
    const unread = message.key === firstUnreadKey;
    const continued =
      !newDay &&
      !unread &&
      previous !== undefined &&
      message.kind !== 'system' &&
      previous.kind !== 'system' &&
      previous.from === message.from &&
      previous.direction === message.direction &&
      ts - shownTime(previous) >= 0 &&
      ts - shownTime(previous) < GROUP_GAP_MS;
    rows.push({ key: message.key, message, day: newDay ? ts : null, continued, unread });
    day = key;
    previous = message;
  }
  return rows;
}
