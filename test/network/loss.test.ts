/**
 * Scenario 1 (issue 9 §4): 20% of the IP packets dropped in both directions
 * (nftables in the server's namespace) while two people send each other 100
 * messages through the real engine: each is delivered exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { networkTestsRun } from '../support/netns';
import {
  allDelivered,
  disconnects,
  expectExactlyOnce,
  sendPaced,
  startChat,
  type Chat,
} from './twoPeople';

const runs = networkTestsRun('the packet loss scenario (test/network/loss.test.ts)');

const LOSS_PERCENT = 20;
const PER_PERSON = 100;
const ACK_TIMEOUT_MS = 300;
/** One message per person every 50 ms: under the server's default rate limit. */
const INTERVAL_MS = 50;

describe.runIf(runs)('20% packet loss both ways', () => {
  let chat: Chat;
  beforeAll(async () => {
    // An ack timeout shorter than TCP's recovery from a lost segment: the
    // engine retransmits (and probes) while TCP is still repairing the loss.
    chat = await startChat({ ackTimeoutMs: ACK_TIMEOUT_MS, maxAttempts: 10 });
  });
  afterAll(async () => {
    await chat?.close();
  });

  test(`2 people × ${PER_PERSON} messages each way: all delivered exactly once, in order`, async () => {
    const { a, b, lab } = chat;
    lab.faults.loss(LOSS_PERCENT);
    const started = Date.now();
    const [fromA, fromB] = await Promise.all([
      sendPaced(a, b, PER_PERSON, 'loss', INTERVAL_MS),
      sendPaced(b, a, PER_PERSON, 'loss', INTERVAL_MS),
    ]);
    const sent = [
      { from: a, to: b, ids: fromA },
      { from: b, to: a, ids: fromB },
    ];
    const tailMs = await allDelivered([a, b], sent, 150_000);
    const tookMs = Date.now() - started;
    const dropped = lab.faults.counters();
    lab.faults.heal();
    console.log(
      `[network] ${LOSS_PERCENT}% loss: ${2 * PER_PERSON} messages delivered in ${tookMs} ms ` +
        `(sending paced over ~${(PER_PERSON * INTERVAL_MS) / 1000} s; ${tailMs} ms after the last send); ` +
        `nft dropped ${dropped['loss-in'] ?? 0} packets in, ${dropped['loss-out'] ?? 0} out; ` +
        `engines left \`connected\` ${disconnects(a, started)} + ${disconnects(b, started)} times`,
    );
    // The fault really hit the traffic.
    expect((dropped['loss-in'] ?? 0) + (dropped['loss-out'] ?? 0)).toBeGreaterThan(0);
    await expectExactlyOnce(sent);
  });
});
