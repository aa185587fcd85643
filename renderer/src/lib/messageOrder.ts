import type { StoredMessage } from '../../../client/storage';

/** Orders messages as the conversation shows them: by `sortTs`, then key. */
export function compareMessages(a: StoredMessage, b: StoredMessage): number {
  return a.sortTs - b.sortTs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Index at which `m` belongs in the sorted list `list` (binary search). */
export function insertionIndex(list: readonly StoredMessage[], m: StoredMessage): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(list[mid]!, m) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
