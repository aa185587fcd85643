import type { StoredMessage } from './storage';

/** A message's place in its conversation. */
export interface Position {
  posA: number;
  posB: number;
}

/**
 * The place of a message: by its `seq` once the server has assigned one;
 * before that (being sent, or failed), right after the newest message this
 * device knew when it was written, in the order it was written. No device
 * clock ever orders messages of different devices: `composedAt` only breaks
 * ties between this device's own unsequenced messages.
 */
export function positionOf(
  seq: number | undefined,
  afterSeq: number,
  composedAt: number,
): Position {
  return seq === undefined
    ? { posA: afterSeq, posB: Math.max(1, composedAt) }
    : { posA: seq, posB: 0 };
}

/** Orders messages as a conversation shows them. */
export function compareMessages(
  a: Position & { key: string },
  b: Position & { key: string },
): number {
  return a.posA - b.posA || a.posB - b.posB || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Index at which `m` belongs in the sorted list `list` (binary search). */
export function insertionIndex(
  list: readonly StoredMessage[],
  m: Position & { key: string },
): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(list[mid]!, m) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
