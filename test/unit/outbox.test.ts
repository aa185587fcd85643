import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../../client/memoryStorage';
import { Outbox, type Throttle } from '../../client/outbox';
import { retryBudgetMs } from '../../client/retry';
import { newMessageId } from '../../client/ids';
import { messageKey, type StoredMessage } from '../../client/storage';
import { directConversationId, type Answer, type MsgA, type MsgR } from '../../protocol';

const ME = 'u_alice';
const BOB = 'u_bob';
/** Jitter factor exactly 1 (0.8 + 0.4 · 0.5). */
const random = () => 0.5;
const policy = { ackTimeoutMs: 1_000, maxAttempts: 3 };

interface Sent {
  packet: MsgR;
  timeoutMs: number;
  at: number;
  answer: (answer: Answer<MsgA>) => void;
}

/** An outbox over memory storage and a scripted link, with every effect recorded. */
function harness() {
  const storage = new MemoryStorage();
  const sent: Sent[] = [];
  const statuses: string[] = [];
  const throttles: (Throttle | undefined)[] = [];
  const failures: unknown[] = [];
  const link = { up: true, suspected: 0 };
  const outbox = new Outbox({
    userId: ME,
    storage,
    policy: () => policy,
    random,
    changed: (m) => statuses.push(m.status ?? ''),
    throttled: (_key, t) => throttles.push(t),
    failed: (error) => failures.push(error),
    link: {
      connected: () => link.up,
      suspect: () => link.suspected++,
      sendMsgR(packet, timeoutMs, callback) {
        let done = false;
        const timer = setTimeout(() => {
          done = true;
          callback(new Error('operation has timed out'), undefined as never);
        }, timeoutMs);
        sent.push({
          packet,
          timeoutMs,
          at: Date.now(),
          answer: (answer) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            callback(null, answer);
          },
        });
      },
    },
  });
  async function write(body = 'hi'): Promise<StoredMessage> {
    const now = Date.now();
    const id = newMessageId();
    const message = await storage.addOutgoing({
      key: messageKey(ME, id),
      id,
      from: ME,
      to: BOB,
      conv: directConversationId(ME, BOB),
      peer: BOB,
      direction: 'out',
      body,
      posA: 0,
      posB: now,
      status: 'pending',
      deadline: now + retryBudgetMs(policy),
      outbox: true,
      composedAt: now,
    });
    outbox.start(message);
    return message;
  }
  const status = async (m: StoredMessage) => (await storage.get(m.key))?.status;
  return { storage, outbox, sent, statuses, throttles, failures, link, write, status };
}

const ok = (id: string, seq: number): Answer<MsgA> => ({
  ok: true,
  id,
  ts: 1_700_000_000_000,
  seq,
  conv: directConversationId(ME, BOB),
});
const refusal = (code: string, retryAfterMs?: number): Answer<MsgA> =>
  ({
    ok: false,
    error: { code, message: code, ...(retryAfterMs ? { retryAfterMs } : {}) },
  }) as never;

describe('the outbox state machine (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retransmits a pending message on doubling timeouts, probes the link each time, fails after maxAttempts', async () => {
    const h = harness();
    const m = await h.write();
    expect(h.sent.map((s) => s.timeoutMs)).toEqual([1_000]);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sent.map((s) => s.timeoutMs)).toEqual([1_000, 2_000]);
    expect(h.link.suspected).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.sent.map((s) => s.timeoutMs)).toEqual([1_000, 2_000, 4_000]);
    expect(h.sent.every((s) => s.packet.id === m.id)).toBe(true);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(h.sent).toHaveLength(3);
    expect(await h.status(m)).toBe('failed');
    expect(h.statuses).toEqual(['failed']);
    expect(h.link.suspected).toBe(3);
  });

  it('moves to sent on msg:A, then retransmits on the capped backoff until ack:N', async () => {
    const h = harness();
    const m = await h.write();
    h.sent[0]!.answer(ok(m.id, 7));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
    expect((await h.storage.get(m.key))?.seq).toBe(7);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(h.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sent).toHaveLength(2);
    await h.outbox.onAckN({ id: m.id, offline: false, ts: 1, seq: 7 } as never);
    expect(await h.status(m)).toBe('delivered');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sent).toHaveLength(2);
    expect(h.statuses).toEqual(['sent', 'delivered']);
  });

  it('waits out rate_limited for retryAfterMs plus jitter, same id, never counting it nor failing', async () => {
    const h = harness();
    const m = await h.write();
    // Far more refusals than maxAttempts, for far longer than the retry budget.
    for (let i = 0; i < 10; i++) {
      const last = h.sent.at(-1)!;
      last.answer(refusal('rate_limited', 5_000));
      await vi.advanceTimersByTimeAsync(0);
      // 5000 + jitter (min(1000, 50 + 500) · 0.5 = 275): nothing earlier.
      await vi.advanceTimersByTimeAsync(5_274);
      expect(h.sent).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(h.sent).toHaveLength(i + 2);
      expect(h.sent.at(-1)!.packet.id).toBe(m.id);
      // Still the first attempt's timeout: a throttle is not a failed attempt.
      expect(h.sent.at(-1)!.timeoutMs).toBe(1_000);
    }
    expect(Date.now() - 1_000_000).toBeGreaterThan(retryBudgetMs(policy));
    expect(await h.status(m)).toBe('pending');
    expect(h.throttles).toEqual([{ code: 'rate_limited', to: BOB, retryAfterMs: 5_000 }]);
    h.sent.at(-1)!.answer(ok(m.id, 3));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
    expect(h.throttles).toEqual([
      { code: 'rate_limited', to: BOB, retryAfterMs: 5_000 },
      undefined,
    ]);
    expect(h.statuses).toEqual(['sent']);
    expect(h.link.suspected).toBe(0);
  });

  it('waits out inbox_full the same way; a throttle shorter than a moment is not reported', async () => {
    const h = harness();
    const m = await h.write();
    h.sent[0]!.answer(refusal('inbox_full', 200));
    await vi.advanceTimersByTimeAsync(200 + 35);
    expect(h.sent).toHaveLength(2);
    expect(h.throttles).toEqual([]);
    h.sent[1]!.answer(refusal('inbox_full', 30_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.throttles).toEqual([{ code: 'inbox_full', to: BOB, retryAfterMs: 30_000 }]);
    // Sent again after the wait; its attempt is still the first one.
    await vi.advanceTimersByTimeAsync(30_500);
    expect(h.sent).toHaveLength(3);
    expect(h.sent[2]!.timeoutMs).toBe(1_000);
    // The wait does not eat the retry budget (7 s, long gone by the clock):
    // a timeout now is an ordinary first failed attempt.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.sent).toHaveLength(4);
    expect(await h.status(m)).toBe('pending');
    expect(h.sent[3]!.timeoutMs).toBe(2_000);
    // Then it fails normally when its attempts are used up.
    await vi.advanceTimersByTimeAsync(2_000 + 4_000);
    expect(await h.status(m)).toBe('failed');
    expect(h.throttles.at(-1)).toBeUndefined();
  });

  it('fails at once on a permanent refusal', async () => {
    const h = harness();
    const m = await h.write();
    h.sent[0]!.answer(refusal('unknown_recipient'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('failed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sent).toHaveLength(1);
  });

  it('changes nothing in memory when the storage write fails, and reports it', async () => {
    const h = harness();
    const m = await h.write();
    const advance = vi.spyOn(h.storage, 'advance').mockRejectedValueOnce(new Error('disk full'));
    h.sent[0]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.failures).toEqual([new Error('disk full')]);
    expect(await h.status(m)).toBe('pending');
    // Still pending in memory: at its timeout it is transmitted again and can be acknowledged.
    advance.mockRestore();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.sent).toHaveLength(2);
    h.sent[1]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
  });
});
