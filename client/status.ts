/** Where an outgoing message stands (the UI contract's `data-status`). */
export type OutStatus = 'pending' | 'sent' | 'stored' | 'delivered' | 'failed';

const RANK: Record<OutStatus, number> = { pending: 0, failed: 0, sent: 1, stored: 2, delivered: 3 };

/**
 * Whether `next` may replace `current`. Status only moves forward:
 * pending → sent → stored → delivered, pending ⇄ failed (fail, resend), and
 * a failed message that turns out to have reached the server moves on too.
 */
export function canAdvance(current: OutStatus, next: OutStatus): boolean {
  if (current === next) return false;
  if (next === 'failed') return current === 'pending';
  if (next === 'pending') return current === 'failed';
  return RANK[next] > RANK[current];
}

/** True for the statuses whose message the engine still works on. */
export function isUnfinished(status: OutStatus): boolean {
  return status === 'pending' || status === 'sent' || status === 'stored';
}
