/**
 * Scenario 2 (issue 9 §4): a 30 s silent partition (every packet dropped
 * both ways, nothing refused) while messages wait. Measures how long the
 * engines take to notice, then heals: everything is delivered exactly once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { networkTestsRun } from '../support/netns';
import {
  allDelivered,
  detectedAfter,
  expectExactlyOnce,
  sendPaced,
  startChat,
  type Chat,
  type Sent,
} from './twoPeople';

const runs = networkTestsRun('the silent partition scenario (test/network/partition.test.ts)');

const PARTITION_MS = 30_000;
/** Targets of the engine: a link that carries a waiting message, and an idle one (heartbeat). */
const DETECT_WAITING_MS = 10_000;
const DETECT_IDLE_MS = 30_000;

describe.runIf(runs)('30 s silent partition', () => {
  let chat: Chat;
  let start = 0;
  let end = 0;
  beforeAll(async () => {
    chat = await startChat();
  });
  afterAll(async () => {
    await chat?.close();
  });

  test('messages waiting through it are delivered exactly once after it heals', async () => {
    const { a, b, lab } = chat;
    const warmUp: Sent[] = [
      { from: a, to: b, ids: await sendPaced(a, b, 3, 'before', 20) },
      { from: b, to: a, ids: await sendPaced(b, a, 3, 'before', 20) },
    ];
    await allDelivered([a, b], warmUp, 20_000);

    lab.faults.partition();
    start = Date.now();
    // Ann writes during the partition (her link has messages waiting); Bob is idle.
    const during: Sent = { from: a, to: b, ids: await sendPaced(a, b, 5, 'during', 200) };
    await delay(PARTITION_MS - (Date.now() - start)); // the fault's length, not a wait for a result
    const dropped = lab.faults.counters();
    lab.faults.heal();
    end = Date.now();
    const recoveryMs = await allDelivered([a, b], [during], 90_000);
    const after: Sent[] = [
      { from: a, to: b, ids: await sendPaced(a, b, 3, 'after', 20) },
      { from: b, to: a, ids: await sendPaced(b, a, 3, 'after', 20) },
    ];
    await allDelivered([a, b], after, 30_000);

    const shown = (ms: number | undefined) => (ms === undefined ? 'not detected' : `${ms} ms`);
    console.log(
      `[network] ${PARTITION_MS / 1000} s partition: detected by the engine with messages waiting ` +
        `(Ann) after ${shown(detectedAfter(a, start, end))}, by the idle one (Bob) after ` +
        `${shown(detectedAfter(b, start, end))}; all delivered ${recoveryMs} ms after healing; ` +
        `nft dropped ${dropped['partition-in'] ?? 0} packets in, ${dropped['partition-out'] ?? 0} out`,
    );
    expect((dropped['partition-in'] ?? 0) + (dropped['partition-out'] ?? 0)).toBeGreaterThan(0);
    await expectExactlyOnce([...warmUp, during, ...after]);
  });

  test(`the engines notice: within ${DETECT_WAITING_MS / 1000} s with a message waiting, ${DETECT_IDLE_MS / 1000} s idle`, () => {
    expect(end, 'the partition ran').toBeGreaterThan(0);
    const waiting = detectedAfter(chat.a, start, end);
    const idle = detectedAfter(chat.b, start, end);
    expect(waiting, 'Ann (message waiting) left `connected` during the partition').toBeDefined();
    expect(waiting!).toBeLessThanOrEqual(DETECT_WAITING_MS);
    expect(idle, 'Bob (idle) left `connected` during the partition').toBeDefined();
    expect(idle!).toBeLessThanOrEqual(DETECT_IDLE_MS);
  });
});
