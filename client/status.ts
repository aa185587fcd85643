/** Where an outgoing message stands (the UI contract's `data-status`). */
export type OutStatus = 'pending' | 'sent' | 'stored' | 'delivered' | 'read' | 'failed';

const RANK: Record<OutStatus, number> = {
  pending: 0,
  failed: 0,
  sent: 1,
  stored: 2,
  delivered: 3,
  read: 4,
};

/**
 * Whether `next` may replace `current`. Status only moves forward:
 * pending → sent → stored → delivered → read, pending ⇄ failed (fail,
 * resend), and a failed message that turns out to have reached the server
 * moves on too.
 */
export function canAdvance(current: OutStatus, next: OutStatus): boolean {
  if (current === next) return false;
  if (next === 'failed') return current === 'pending';
  if (next === 'pending') return current === 'failed';
  return RANK[next] > RANK[current];
}

/**
 * Whether the server's word on a message (a receipt) may replace `current`.
 * Like {@link canAdvance}, except that `sent` and `stored` may follow each
 * other: a group message is `stored` while all its recipients are offline,
 * and `sent` again once one of them is back.
 */
export function canApplyReceipt(current: OutStatus, next: OutStatus): boolean {
  if (canAdvance(current, next)) return true;
  return (current === 'stored' && next === 'sent') || (current === 'sent' && next === 'stored');
}
