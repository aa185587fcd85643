/**
 * Scenario 17 (pinned to the bottom): reading at the bottom of a long
 * conversation, the newest message stays fully in view whatever appears: the
 * "not delivered" notice above the history (which makes it shorter), a new
 * message, a long one.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import { messageBox, openConversation, outgoing, send, signUp, uniqueName } from './support/ui';

// Retry budget: 400 + 800 + 1600 ms without msg:A, then `failed`.
const server = useScenarioServer({ ackTimeoutMs: 400, maxAttempts: 3 });

test('the history stays pinned to the bottom when the failure notice appears', async ({
  browser,
}) => {
  const nameB = uniqueName('bob');
  const b = await signUp(browser, server.url, nameB);
  const a = await signUp(browser, server.url, uniqueName('alice'));
  await openConversation(a, nameB);
  for (let i = 1; i <= 18; i++) await send(a, `Filler message number ${i}.`); // the period: "…1." is no prefix of "…11."
  const log = a.getByRole('log', { name: 'Messages' });
  const scrolled = () => log.evaluate((el) => el.scrollHeight > el.clientHeight);
  expect(await scrolled(), 'the history scrolls').toBe(true);

  // A long message: still fully in view once it is laid out.
  const long = await send(a, `A long one: ${'words that wrap around '.repeat(30)}`);
  await expect(long).toBeInViewport({ ratio: 1 });

  // The server goes away; the next message fails and the notice appears above.
  await server.kill();
  const lost = await send(a, 'This one fails');
  await expect(lost).toHaveAttribute('data-status', 'failed');
  await expect(a.getByTestId('failed-notice')).toBeVisible();
  await expect(lost).toBeInViewport({ ratio: 1 });
  await expect(lost.getByRole('button', { name: 'Resend', exact: true })).toBeInViewport({
    ratio: 1,
  });
  await expect(messageBox(a)).toBeFocused();
  expect(await outgoing(a, 'This one fails').count()).toBe(1);

  await server.start();
  for (const page of [a, b]) await page.context().close();
});
