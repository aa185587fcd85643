import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../../client/memoryStorage';
import { Outbox, type Throttle } from '../../client/outbox';
import { retryBudgetMs } from '../../client/retry';
import { newMessageId } from '../../client/ids';
import { messageKey, type StoredMessage } from '../../client/storage';
import {
  directConversationId,
  newGroupId,
  type Answer,
  type MsgA,
  type MsgR,
} from '../../protocol';

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
function harness(options: { storage?: MemoryStorage; up?: boolean } = {}) {
  const storage = options.storage ?? new MemoryStorage();
  const sent: Sent[] = [];
  const statuses: string[] = [];
  const throttles: (Throttle | undefined)[] = [];
  const failures: unknown[] = [];
  const link = { up: options.up ?? true, suspected: 0 };
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
    const now = outbox.stamp(Date.now());
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

  it('resends a failed message with the same id and a fresh deadline; refuses one that did not fail', async () => {
    const h = harness();
    const m = await h.write();
    h.sent[0]!.answer(refusal('unknown_recipient'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('failed');
    expect(await h.outbox.resend(m.id, Date.now() + 7_000)).toBe(true);
    expect(await h.status(m)).toBe('pending');
    expect(h.statuses).toEqual(['failed', 'pending']);
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]!.packet.id).toBe(m.id);
    // The new attempt counts from one again: it fails only after maxAttempts more.
    expect(h.sent[1]!.timeoutMs).toBe(1_000);
    h.sent[1]!.answer(ok(m.id, 3));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
    expect(await h.outbox.resend(m.id, Date.now() + 7_000)).toBe(false);
    expect(h.sent).toHaveLength(2);
  });

  it('after a restart, tracks what is unfinished (not a group message the server holds) and sends it on connect', async () => {
    const h = harness();
    const pending = await h.write('a');
    const sent = await h.write('b');
    h.sent[1]!.answer(ok(sent.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    const group = newGroupId('0b7b1f8e-7f3c-4b8e-9d55-3c1f0a2b4c6d');
    const groupId = newMessageId();
    await h.storage.addOutgoing({
      key: messageKey(ME, groupId),
      id: groupId,
      from: ME,
      to: group,
      conv: group,
      peer: '',
      direction: 'out',
      body: 'g',
      posA: 0,
      posB: Date.now(),
      status: 'pending',
      deadline: Date.now() + 7_000,
      outbox: true,
      composedAt: Date.now(),
    });
    await h.storage.advance(messageKey(ME, groupId), 'sent', { ts: 1, seq: 1 });
    h.outbox.close();
    // A new engine over the same storage, link down at first.
    const next = harness({ storage: h.storage, up: false });
    await next.outbox.load();
    next.outbox.armAll();
    expect(next.sent).toHaveLength(0);
    next.link.up = true;
    next.outbox.onConnect();
    expect(next.sent.map((x) => x.packet.id).sort()).toEqual([pending.id, sent.id].sort());
  });

  it('fails a message whose deadline passes while disconnected, and one already past it on connect', async () => {
    const h = harness();
    const m = await h.write();
    h.link.up = false;
    h.outbox.onDisconnect();
    // The answer to the transmission before the cut is void.
    h.sent[0]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('pending');
    await vi.advanceTimersByTimeAsync(6_999);
    expect(await h.status(m)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await h.status(m)).toBe('failed');
    expect(h.sent).toHaveLength(1);
    // Another written while offline, connect after its deadline: failed at once, not sent.
    const late = await h.write('late');
    expect(h.sent).toHaveLength(1);
    vi.setSystemTime(Date.now() + 8_000);
    h.link.up = true;
    h.outbox.onConnect();
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(late)).toBe('failed');
    expect(h.sent).toHaveLength(1);
  });

  it('rechecks a message stored for an offline recipient on the long timer, until ack:N says delivered', async () => {
    const h = harness();
    const m = await h.write();
    h.sent[0]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    await h.outbox.onAckN({ id: m.id, offline: true, ts: 1, seq: 1 } as never);
    expect(await h.status(m)).toBe('stored');
    // storedRecheckMs = 4 × min(30 s, 16·T) = 64 s.
    await vi.advanceTimersByTimeAsync(63_999);
    expect(h.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]!.packet.id).toBe(m.id);
    await h.outbox.onAckN({ id: m.id, offline: false, ts: 1, seq: 1 } as never);
    expect(await h.status(m)).toBe('delivered');
    await vi.advanceTimersByTimeAsync(200_000);
    expect(h.sent).toHaveLength(2);
  });

  it('shows a failed message as delivered when its ack:N comes after all', async () => {
    const h = harness();
    const m = await h.write();
    await vi.advanceTimersByTimeAsync(7_000);
    expect(await h.status(m)).toBe('failed');
    expect(await h.outbox.onAckN({ id: m.id, offline: false, ts: 5, seq: 4 } as never)).toBe(true);
    expect(await h.storage.get(m.key)).toMatchObject({ status: 'delivered', seq: 4 });
    // Not this device's message: left to the caller.
    expect(await h.outbox.onAckN({ id: 'elsewhere', offline: false, ts: 5, seq: 5 } as never)).toBe(
      false,
    );
  });
});

describe('the outbox repairs a lost packet after the measured round trip (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A first message answered after `rttMs` (a clean sample), then delivered after `deliveryMs`. */
  async function measured(h: ReturnType<typeof harness>, rttMs: number, deliveryMs?: number) {
    const m = await h.write('first');
    await vi.advanceTimersByTimeAsync(rttMs);
    h.sent[0]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    if (deliveryMs !== undefined) {
      await vi.advanceTimersByTimeAsync(deliveryMs);
      await h.outbox.onAckN({ id: m.id, offline: false, ts: 1, seq: 1 } as never);
      expect(await h.status(m)).toBe('delivered');
    }
    return m;
  }

  it('a lost msg:A: a copy goes out after the measured timeout (not the ack timeout); its answer counts', async () => {
    const h = harness();
    await measured(h, 40);
    const before = h.sent.length;
    const m = await h.write('second');
    // RTO = max(200 ms floor, 40 + 4·20) = 200 ms; the first copy at ×(0.9 + 0.2·0.5) = 200 ms.
    await vi.advanceTimersByTimeAsync(199);
    expect(h.sent).toHaveLength(before + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sent).toHaveLength(before + 2);
    const copy = h.sent[before + 1]!;
    expect(copy.packet).toEqual(h.sent[before]!.packet); // same id, same body
    // The copy's answer ends the attempt (the first transmission's msg:A was lost).
    copy.answer(ok(m.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
    // No more copies of it while it waits for ack:N on the (unmeasured) policy backoff.
    const copies = () => h.sent.filter((x) => x.packet.id === m.id).length;
    await vi.advanceTimersByTimeAsync(1_999);
    expect(copies()).toBe(2);
    expect(h.link.suspected).toBe(0);
  });

  it('copies double their spacing and stay inside the attempt; their timeouts do not fail the message sooner', async () => {
    const h = harness();
    await measured(h, 10, 50);
    const before = h.sent.length;
    const m = await h.write('never answered');
    // Attempt 1 lasts 1 s: copies at 200 and 600 ms (1 400 would be past it).
    await vi.advanceTimersByTimeAsync(999);
    expect(h.sent.slice(before).map((x) => x.at - 1_000_000 - 60)).toEqual([0, 200, 600]);
    // Attempts 2 and 3 (2 s, 4 s) as the policy says; failure after the same 7 s.
    await vi.advanceTimersByTimeAsync(5_999);
    expect(await h.status(m)).not.toBe('failed');
    await vi.advanceTimersByTimeAsync(2);
    expect(await h.status(m)).toBe('failed');
    expect(h.link.suspected).toBe(3);
  });

  it('a lost ack:N: sent again after the measured delivery timeout, doubling, never later than the policy', async () => {
    const h = harness();
    await measured(h, 10, 50);
    const m = await h.write('second');
    const at = h.sent.length;
    h.sent[at - 1]!.answer(ok(m.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m)).toBe('sent');
    // Delivery RTO = max(300 ms floor, 50 + 4·25) = 300 ms, doubling (the policy's backoff
    // would be 2, 4, 8, 16 s); the server answers each copy at once (a duplicate's msg:A).
    const copies = () => h.sent.filter((x) => x.packet.id === m.id);
    for (const [i, wait] of [300, 600, 1_200, 2_400].entries()) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(copies()).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(copies()).toHaveLength(i + 2);
      copies().at(-1)!.answer(ok(m.id, 2));
      await vi.advanceTimersByTimeAsync(0);
    }
    // A copy's msg:A is awaited two server timeouts (2 × 200 ms), not the policy's 1 s.
    expect(copies().at(-1)!.timeoutMs).toBe(400);
    await h.outbox.onAckN({ id: m.id, offline: false, ts: 1, seq: 2 } as never);
    expect(await h.status(m)).toBe('delivered');
  });

  it("takes no sample from an answer to a retransmitted packet (Karn's rule), nor from a refusal", async () => {
    const h = harness();
    const m = await h.write('slow');
    // Answered only after its retransmission: no sample, so no early copies afterwards.
    await vi.advanceTimersByTimeAsync(1_500);
    h.sent[1]!.answer(ok(m.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    const n = await h.write('next');
    const before = h.sent.length;
    await vi.advanceTimersByTimeAsync(999);
    expect(h.sent).toHaveLength(before);
    h.sent[before - 1]!.answer(refusal('too_large'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(n)).toBe('failed');
    const o = await h.write('after a refusal');
    const after = h.sent.length;
    await vi.advanceTimersByTimeAsync(999);
    expect(h.sent).toHaveLength(after);
    expect(await h.status(o)).toBe('pending');
  });

  it('never waits longer than the policy would: a slow measured delivery still retransmits at 2·T', async () => {
    const h = harness();
    await measured(h, 10, 5_000);
    const m = await h.write('second');
    h.sent.at(-1)!.answer(ok(m.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    const copies = () => h.sent.filter((x) => x.packet.id === m.id);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(copies()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(copies()).toHaveLength(2);
  });
});

describe('the order a device wrote in (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('names the message written just before that has no msg:A yet (`after`), and none once it has', async () => {
    const h = harness();
    const m1 = await h.write('one');
    const m2 = await h.write('two');
    expect(h.sent.map((s) => s.packet.after)).toEqual([undefined, m1.id]);
    h.sent[0]!.answer(ok(m1.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    const m3 = await h.write('three');
    // m2 still has no msg:A: m3 follows it, not m1.
    expect(h.sent[2]!.packet).toMatchObject({ id: m3.id, after: m2.id });
    h.sent[1]!.answer(ok(m2.id, 2));
    h.sent[2]!.answer(ok(m3.id, 3));
    await vi.advanceTimersByTimeAsync(0);
    const m4 = await h.write('four');
    expect(h.sent.at(-1)!.packet).toMatchObject({ id: m4.id });
    expect(h.sent.at(-1)!.packet.after).toBeUndefined();
  });

  it('out_of_order holds a message until the earlier one has msg:A, then sends it at once, without spending an attempt', async () => {
    const h = harness();
    const m1 = await h.write('one');
    const m2 = await h.write('two');
    // m1's msg:R was lost; m2 reached the server first and was held back.
    h.sent[1]!.answer(refusal('out_of_order'));
    await vi.advanceTimersByTimeAsync(500);
    expect(h.sent).toHaveLength(2);
    expect(await h.status(m2)).toBe('pending');
    // m1's retransmission gets msg:A: m2 goes at once, still as its first attempt.
    await vi.advanceTimersByTimeAsync(500);
    expect(h.sent[2]!.packet.id).toBe(m1.id);
    h.sent[2]!.answer(ok(m1.id, 1));
    await vi.advanceTimersByTimeAsync(0);
    const again = h.sent.filter((s) => s.packet.id === m2.id);
    expect(again).toHaveLength(2);
    expect(again[1]!.timeoutMs).toBe(1_000);
    expect(again[1]!.packet.after).toBeUndefined();
    again[1]!.answer(ok(m2.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m2)).toBe('sent');
    expect(h.failures).toEqual([]);
  });

  it('a message held back longer than its budget does not fail while the earlier one is still being tried', async () => {
    const h = harness();
    const m1 = await h.write('one');
    const m2 = await h.write('two');
    // m1 is throttled again and again (not a failed attempt); m2 is held back behind it.
    let answered = 0;
    for (let elapsed = 0; elapsed < retryBudgetMs(policy) * 3; elapsed += 500) {
      for (const s of h.sent.slice(answered)) {
        s.answer(refusal(s.packet.id === m2.id ? 'out_of_order' : 'rate_limited', 2_000));
      }
      answered = h.sent.length;
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(h.sent.filter((s) => s.packet.id === m1.id).length).toBeGreaterThan(5);
    expect(await h.status(m1)).toBe('pending');
    expect(await h.status(m2)).toBe('pending');
    // m1 gets through: m2 follows at once.
    while (!h.sent.slice(answered).some((s) => s.packet.id === m1.id)) {
      await vi.advanceTimersByTimeAsync(100);
    }
    const before = h.sent.length;
    h.sent.slice(answered).forEach((s) => s.packet.id === m1.id && s.answer(ok(m1.id, 1)));
    await vi.advanceTimersByTimeAsync(0);
    const last = h.sent.slice(before).find((s) => s.packet.id === m2.id);
    expect(last).toBeDefined();
    last!.answer(ok(m2.id, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m2)).toBe('sent');
  });

  it('a failed message resent takes its place after everything written meanwhile, and follows what is still pending', async () => {
    const h = harness();
    const m1 = await h.write('one');
    h.sent[0]!.answer(refusal('unknown_recipient'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await h.status(m1)).toBe('failed');
    const m2 = await h.write('two');
    expect(h.sent.at(-1)!.packet.after).toBeUndefined();
    h.sent.at(-1)!.answer(ok(m2.id, 7));
    await vi.advanceTimersByTimeAsync(0);
    const m3 = await h.write('three');
    expect(await h.outbox.resend(m1.id, Date.now() + 7_000)).toBe(true);
    const resent = h.sent.at(-1)!;
    expect(resent.packet).toMatchObject({ id: m1.id, after: m3.id });
    const stored = (await h.storage.get(m1.key))!;
    // Shown after m2 (seq 7) and after m3, where it will land.
    expect(stored.posA).toBe(7);
    expect(stored.posB).toBeGreaterThan((await h.storage.get(m3.key))!.posB);
  });
});
