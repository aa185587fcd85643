import { describe, expect, it } from 'vitest';
import {
  attemptTimeoutMs,
  probeTimeoutMs,
  retryBudgetMs,
  sentRetryCapMs,
  sentRetryDelayMs,
  storedRecheckMs,
  throttleDelayMs,
} from '../../client/retry';
import { canAdvance, canApplyReceipt, type OutStatus } from '../../client/status';

const policy = { ackTimeoutMs: 1000, maxAttempts: 4 };

describe('retry policy', () => {
  it('budgets maxAttempts doubling timeouts', () => {
    expect(retryBudgetMs(policy)).toBe(1000 + 2000 + 4000 + 8000);
  });

  it('doubles each attempt with ±20% jitter', () => {
    expect(attemptTimeoutMs(policy, 1, () => 0.5)).toBe(1000);
    expect(attemptTimeoutMs(policy, 3, () => 0.5)).toBe(4000);
    expect(attemptTimeoutMs(policy, 3, () => 0)).toBe(3200);
    expect(attemptTimeoutMs(policy, 3, () => 0.999999)).toBe(4800);
  });

  it('caps retransmission of messages the server holds', () => {
    expect(sentRetryCapMs(policy)).toBe(16_000);
    expect(sentRetryCapMs({ ackTimeoutMs: 5000, maxAttempts: 5 })).toBe(30_000);
    expect(sentRetryDelayMs(policy, 1, () => 0.5)).toBe(2000);
    expect(sentRetryDelayMs(policy, 50, () => 0.5)).toBe(16_000);
    expect(storedRecheckMs(policy)).toBe(64_000);
  });
});

describe('status transitions', () => {
  const all: OutStatus[] = ['pending', 'sent', 'stored', 'delivered', 'read', 'failed'];
  it('only ever moves forward', () => {
    const allowed = all.flatMap((from) =>
      all.filter((to) => canAdvance(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending>sent',
        'pending>stored',
        'pending>delivered',
        'pending>failed',
        'failed>pending',
        'failed>sent',
        'failed>stored',
        'failed>delivered',
        'failed>read',
        'pending>read',
        'sent>stored',
        'sent>delivered',
        'sent>read',
        'stored>delivered',
        'stored>read',
        'delivered>read',
      ].sort(),
    );
  });
  it('lets receipts move a message between sent and stored, and nowhere back', () => {
    expect(canApplyReceipt('stored', 'sent')).toBe(true);
    expect(canApplyReceipt('sent', 'stored')).toBe(true);
    expect(canApplyReceipt('delivered', 'sent')).toBe(false);
    expect(canApplyReceipt('read', 'delivered')).toBe(false);
    expect(canApplyReceipt('delivered', 'read')).toBe(true);
  });
});

describe('throttles and probes', () => {
  it('waits what the server asked plus a small jitter (10% + 50 ms, at most 1 s)', () => {
    expect(throttleDelayMs(2_000, () => 0)).toBe(2_000);
    expect(throttleDelayMs(2_000, () => 0.999999)).toBe(2_250);
    expect(throttleDelayMs(30_000, () => 0.999999)).toBe(31_000);
    expect(throttleDelayMs(100, () => 0.5)).toBe(130);
  });

  it('probes a quiet link for the ack timeout, within 1 to 3 s', () => {
    expect(probeTimeoutMs({ ackTimeoutMs: 5_000, maxAttempts: 5 })).toBe(2_000);
    expect(probeTimeoutMs({ ackTimeoutMs: 2_000, maxAttempts: 5 })).toBe(2_000);
    expect(probeTimeoutMs({ ackTimeoutMs: 150, maxAttempts: 5 })).toBe(1_000);
  });
});
