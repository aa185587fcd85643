/**
 * Scenario 9: a PC whose clock is five minutes fast. Questions and answers
 * alternate; both sides show them in the server's order, and the times shown
 * are the server's.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  incoming,
  authenticate,
  openConversation,
  screenshot,
  send,
  shownOrder,
  signUp,
  uniqueName,
  expectShownOnce,
} from './support/ui';

const server = useScenarioServer();
const FAST_MS = 5 * 60_000;

test('a device clock five minutes fast does not reorder a conversation', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  // Alice's PC: every Date in her page runs five minutes ahead (timers run normally).
  const fastContext = await browser.newContext();
  await fastContext.clock.install({ time: Date.now() + FAST_MS });
  const alice = await fastContext.newPage();
  await alice.goto(server.url);
  expect(await alice.evaluate(() => Date.now())).toBeGreaterThan(Date.now() + FAST_MS - 60_000);
  await authenticate(alice, nameA, 'Create account');
  const bob = await signUp(browser, server.url, nameB);
  await openConversation(alice, nameB);
  await openConversation(bob, nameA);

  const script = ['Q1: lunch?', 'A1: yes', 'Q2: where?', 'A2: canteen'];
  for (const [i, text] of script.entries()) {
    const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
    await expect(await send(from, text)).toHaveAttribute('data-status', /^(delivered|read)$/); // read when the chat is open
    await expectShownOnce(incoming(to, text), [to, from]);
  }
  expect(await shownOrder(alice)).toEqual(script);
  expect(await shownOrder(bob)).toEqual(script);
  // After a reload too: the order comes from the log, not from anyone's clock.
  await alice.reload();
  await openConversation(alice, nameB);
  await expect(alice.getByTestId('message')).toHaveCount(4);
  expect(await shownOrder(alice)).toEqual(script);
  // Alice's own message shows the server's time, not her clock's.
  const shownAt = await alice
    .locator('[data-testid="message"][data-direction="out"] time')
    .first()
    .getAttribute('datetime');
  expect(Math.abs(Date.parse(shownAt!) - Date.now())).toBeLessThan(FAST_MS / 2);
  await screenshot(alice, 'e2e-9-fast-clock');
  await fastContext.close();
  await bob.context().close();
});
