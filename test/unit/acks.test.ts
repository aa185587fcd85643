import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckSender } from '../../client/acks';
import { MemoryStorage } from '../../client/memoryStorage';
import { messageKey, type PendingAck } from '../../client/storage';
import { directConversationId } from '../../protocol';

const ME = 'u_alice';

/** Jitter factor exactly 1 (0.8 + 0.4 · 0.5). */
const random = () => 0.5;
/** ack:R waits: round 1 → 8·T = 8 s, then 16 s (the cap, 16·T). */
const policy = { ackTimeoutMs: 1_000, maxAttempts: 3 };

interface Asked {
  payload: { from: string; id: string };
  timeoutMs: number;
  at: number;
  answer: (answer: unknown) => void;
  timeout: () => void;
}

const ack = (id: string, from = 'u_bob'): PendingAck => ({ key: messageKey(from, id), from, id });

/** Stores a pushed message from `from` with its confirmation owed, as a live push does. */
async function pushed(storage: MemoryStorage, id: string, seq: number, from = 'u_bob') {
  const conv = directConversationId(ME, from);
  await storage.addFromServer(ME, [{ id, from, to: ME, body: id, ts: 1_000 + seq, seq, conv }], {
    pendingAck: true,
  });
}

/** An ack sender over memory storage and a scripted link, with every effect recorded. */
function harness() {
  const storage = new MemoryStorage();
  const asked: Asked[] = [];
  const failures: unknown[] = [];
  const link = { up: true, suspected: 0 };
  const settledCalls: string[][] = [];
  const acksSettled = storage.acksSettled.bind(storage);
  let failSettle = false;
  storage.acksSettled = async (keys: string[]) => {
    settledCalls.push([...keys]);
    if (failSettle) throw new Error('disk full');
    return acksSettled(keys);
  };
  const sender = new AckSender({
    storage,
    policy: () => policy,
    random,
    failed: (error) => failures.push(error),
    link: {
      connected: () => link.up,
      suspect: () => link.suspected++,
      ask: (_event, payload, timeoutMs) =>
        new Promise((resolve, reject) => {
          asked.push({
            payload,
            timeoutMs,
            at: Date.now(),
            answer: resolve,
            timeout: () => reject(new Error('timeout')),
          });
        }),
    },
  });
  return {
    storage,
    sender,
    asked,
    failures,
    link,
    settledCalls,
    failSettling: (on: boolean) => {
      failSettle = on;
    },
  };
}

/** Lets promise callbacks and zero-delay timers run. */
async function settle() {
  await vi.advanceTimersByTimeAsync(0);
}

describe('AckSender: ack:R until ack:A', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends ack:R for a confirmation owed, with the first round’s wait (8·T)', () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    expect(h.asked).toHaveLength(1);
    expect(h.asked[0]!.payload).toEqual({ from: 'u_bob', id: 'm1' });
    expect(h.asked[0]!.timeoutMs).toBe(8_000);
    expect(h.sender.size).toBe(1);
  });

  it('forgets a confirmation on disk, then in memory, once ack:A ({ok:true}) arrives', async () => {
    const h = harness();
    await pushed(h.storage, 'm1', 1);
    expect(await h.storage.pendingAcks()).toEqual([ack('m1')]);
    h.sender.owe(ack('m1'));
    let idle = false;
    void h.sender.idle().then(() => (idle = true));
    h.asked[0]!.answer({ ok: true });
    await settle();
    expect(h.settledCalls).toEqual([[messageKey('u_bob', 'm1')]]);
    expect(await h.storage.pendingAcks()).toEqual([]);
    expect(h.sender.size).toBe(0);
    expect(idle).toBe(true);
    // Nothing is sent again, however long we wait.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.asked).toHaveLength(1);
  });

  it('settles on not_found (the message is gone), without reporting a failure', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer({ ok: false, error: { code: 'not_found', message: 'gone' } });
    await settle();
    expect(h.sender.size).toBe(0);
    expect(h.failures).toEqual([]);
  });

  it('forgets every confirmation answered in the same tick in one storage write', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.sender.owe(ack('m2'));
    h.asked[0]!.answer({ ok: true });
    h.asked[1]!.answer({ ok: true });
    await settle();
    expect(h.settledCalls).toEqual([[messageKey('u_bob', 'm1'), messageKey('u_bob', 'm2')]]);
    expect(h.sender.size).toBe(0);
  });

  it('waits retryAfterMs (plus jitter) when throttled, without counting it a failure', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer({ ok: false, error: { code: 'rate_limited', retryAfterMs: 2_000 } });
    await settle();
    expect(h.failures).toEqual([]);
    // throttleDelayMs(2000, 0.5) = 2000 + 250 · 0.5 = 2125
    await vi.advanceTimersByTimeAsync(2_124);
    expect(h.asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.asked).toHaveLength(2);
    expect(h.asked[1]!.payload).toEqual({ from: 'u_bob', id: 'm1' });
  });

  it('reports any other refusal and sends again after the round’s backoff', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer({ ok: false, error: { code: 'internal' } });
    await settle();
    expect(h.failures).toHaveLength(1);
    expect(String(h.failures[0])).toContain(messageKey('u_bob', 'm1'));
    await vi.advanceTimersByTimeAsync(7_999);
    expect(h.asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.asked).toHaveLength(2);
    expect(h.sender.size).toBe(1);
  });

  it('treats an answer that is not an object as a refusal to retry', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer('ok');
    await settle();
    expect(h.failures).toHaveLength(1);
    expect(h.sender.size).toBe(1);
    h.asked[0]!.answer(null);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(h.asked).toHaveLength(2);
  });

  it('retransmits at once when ack:A does not come, with a longer wait, and suspects the link', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.timeout();
    await settle();
    expect(h.link.suspected).toBe(1);
    expect(h.asked).toHaveLength(2);
    expect(h.asked[1]!.timeoutMs).toBe(16_000);
    h.asked[1]!.timeout();
    await settle();
    expect(h.asked).toHaveLength(3);
    expect(h.asked[2]!.timeoutMs).toBe(16_000);
  });

  it('does not suspect a link already known to be down', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.link.up = false;
    h.asked[0]!.timeout();
    await settle();
    expect(h.link.suspected).toBe(0);
    expect(h.asked).toHaveLength(1);
  });

  it('sends nothing while disconnected, ignores answers from before the cut, and resends on connect', async () => {
    const h = harness();
    h.link.up = false;
    h.sender.owe(ack('m1'));
    expect(h.asked).toHaveLength(0);
    h.link.up = true;
    h.sender.onConnect();
    expect(h.asked).toHaveLength(1);
    h.sender.onDisconnect();
    // An answer to the transmission before the cut is void…
    h.asked[0]!.answer({ ok: true });
    await settle();
    expect(h.sender.size).toBe(1);
    expect(h.settledCalls).toEqual([]);
    // …and so is its timeout (no retransmission from it).
    h.asked[0]!.timeout();
    await settle();
    expect(h.asked).toHaveLength(1);
    h.sender.onConnect();
    expect(h.asked).toHaveLength(2);
    // Rounds start again on each connection.
    expect(h.asked[1]!.timeoutMs).toBe(8_000);
    h.asked[1]!.answer({ ok: true });
    await settle();
    expect(h.sender.size).toBe(0);
  });

  it('stops a pending retransmission on disconnect', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer({ ok: false, error: { code: 'internal' } });
    await settle();
    h.sender.onDisconnect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.asked).toHaveLength(1);
  });

  it('loads the confirmations owed after a restart and sends them on connect', async () => {
    const h = harness();
    await pushed(h.storage, 'm1', 1);
    await pushed(h.storage, 'm2', 1, 'u_carol');
    await h.sender.load();
    expect(h.sender.size).toBe(2);
    expect(h.asked).toHaveLength(0);
    h.sender.onConnect();
    expect(h.asked.map((a) => a.payload)).toEqual([
      { from: 'u_bob', id: 'm1' },
      { from: 'u_carol', id: 'm2' },
    ]);
  });

  it('keeps one entry per message however often it is owed', () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.sender.owe(ack('m1'));
    expect(h.sender.size).toBe(1);
    // The second owe is a fresh transmission; the first one's answer is void.
    expect(h.asked).toHaveLength(2);
  });

  it('keeps a confirmation (and sends it again) when forgetting it on disk fails', async () => {
    const h = harness();
    h.failSettling(true);
    h.sender.owe(ack('m1'));
    h.asked[0]!.answer({ ok: true });
    await settle();
    expect(h.failures).toHaveLength(1);
    expect(h.sender.size).toBe(1);
    h.failSettling(false);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(h.asked).toHaveLength(2);
    h.asked[1]!.answer({ ok: true });
    await settle();
    expect(h.sender.size).toBe(0);
  });

  it('does nothing after close', async () => {
    const h = harness();
    h.sender.owe(ack('m1'));
    h.sender.close();
    h.asked[0]!.answer({ ok: true });
    h.asked[0]!.timeout();
    await settle();
    expect(h.settledCalls).toEqual([]);
    h.sender.owe(ack('m2'));
    h.sender.onConnect();
    expect(h.asked).toHaveLength(1);
    expect(h.sender.size).toBe(0);
  });

  it('resolves idle() at once when nothing is owed', async () => {
    const h = harness();
    await expect(h.sender.idle()).resolves.toBeUndefined();
  });
});
