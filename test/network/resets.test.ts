/**
 * Scenario 3 (issue 9 §4): for 5 s every TCP segment to or from the server
 * port is answered with a reset (nftables `reject with tcp reset`) while two
 * people keep sending: afterwards everything is delivered exactly once.
 */
import { setTimeout as delay } from 'node:timers/promises';
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

const runs = networkTestsRun('the TCP resets scenario (test/network/resets.test.ts)');

const RESETS_MS = 5_000;
const PER_PERSON = 60;

describe.runIf(runs)('5 s of TCP resets', () => {
  let chat: Chat;
  beforeAll(async () => {
    chat = await startChat();
  });
  afterAll(async () => {
    await chat?.close();
  });

  test(`sending through ${RESETS_MS / 1000} s of resets: all delivered exactly once`, async () => {
    const { a, b, lab, server } = chat;
    const started = Date.now();
    const sending = Promise.all([
      sendPaced(a, b, PER_PERSON, 'resets', 100),
      sendPaced(b, a, PER_PERSON, 'resets', 100),
    ]);
    // The fault's schedule (not a wait for a result): from 0.5 s to 5.5 s into the sending.
    await delay(500);
    lab.faults.resets(server.port);
    const resetAt = Date.now();
    await delay(RESETS_MS);
    const counted = lab.faults.counters();
    lab.faults.heal();
    const healedAt = Date.now();
    const [fromA, fromB] = await sending;
    const sent = [
      { from: a, to: b, ids: fromA },
      { from: b, to: a, ids: fromB },
    ];
    const recoveryMs = await allDelivered([a, b], sent, 90_000);
    console.log(
      `[network] ${RESETS_MS / 1000} s of resets: ${2 * PER_PERSON} messages delivered ` +
        `${Date.now() - healedAt} ms after healing (${Date.now() - started} ms in all, ` +
        `${recoveryMs} ms after the last send); nft reset ${counted['reset-in'] ?? 0} segments in, ` +
        `${counted['reset-out'] ?? 0} out; engines left \`connected\` ${disconnects(a, resetAt)} + ` +
        `${disconnects(b, resetAt)} times`,
    );
    // The fault really hit both connections.
    expect(counted['reset-in'] ?? 0).toBeGreaterThan(0);
    expect(disconnects(a, resetAt)).toBeGreaterThan(0);
    expect(disconnects(b, resetAt)).toBeGreaterThan(0);
    await expectExactlyOnce(sent);
  });
});
