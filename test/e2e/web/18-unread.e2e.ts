/**
 * Scenario 18 (unread divider, issue 11 defect 7): a person receives 60
 * messages while away and opens the chat: the "New messages" divider is in
 * view above the first unread one, not the newest. Scrolled up, a new message
 * does not move the history; the pill says "1 new message below" and takes the
 * reader to the bottom.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import { contact, incoming, openConversation, send, signUp, uniqueName } from './support/ui';

const server = useScenarioServer();

test('opening a chat with 60 unread shows the divider; the pill while scrolled up', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const nameC = uniqueName('carol');
  const b = await signUp(browser, server.url, nameB);
  await signUp(browser, server.url, nameC).then((c) => c.context().close());
  const a = await signUp(browser, server.url, nameA);

  // Alice has read 30 earlier messages, then looks at another chat.
  await openConversation(b, nameA);
  for (let i = 1; i <= 30; i++) await send(b, `Earlier message ${i}.`);
  await expect(contact(a, nameB).getByTestId('unread')).toHaveText('30');
  await openConversation(a, nameB);
  await expect(contact(a, nameB).getByTestId('unread')).toHaveCount(0);
  await openConversation(a, nameC);

  // 60 messages arrive while she is away from the chat.
  for (let i = 1; i <= 60; i++) await send(b, `Unread message ${i}.`);
  await expect(contact(a, nameB).getByTestId('unread')).toHaveText('60');

  await openConversation(a, nameB);
  const log = a.getByRole('log', { name: 'Messages' });
  const divider = a.getByTestId('unread-divider');
  await expect(divider).toHaveCount(1);
  await expect(divider).toHaveText('New messages');
  await expect(divider).toBeInViewport();
  await expect(incoming(a, 'Unread message 1.')).toBeInViewport();
  // Directly above the first unread message, below the last read one.
  const order = await log.evaluate((el) =>
    [...el.querySelectorAll('.row')]
      .sort(
        (x, y) =>
          (x as HTMLElement).getBoundingClientRect().top -
          (y as HTMLElement).getBoundingClientRect().top,
      )
      .map(
        (row) =>
          (row.querySelector('[data-testid="unread-divider"]') ? '|' : '') +
          (row.querySelector('.body')?.textContent ?? ''),
      ),
  );
  const at = order.findIndex((text) => text.startsWith('|'));
  expect(order[at]).toBe('|Unread message 1.');
  expect(order[at - 1]).toBe('Earlier message 30.');
  // Not at the newest.
  await expect(incoming(a, 'Unread message 60.')).not.toBeInViewport();
  await expect(a.getByTestId('jump-latest')).toBeVisible();
  // The divider stays while the chat is open.
  await expect(contact(a, nameB).getByTestId('unread')).toHaveCount(0);
  await expect(divider).toHaveCount(1);

  // Scrolled up, a new message arrives: nothing moves, the pill counts it.
  await log.evaluate((el) => el.scrollBy(0, -200));
  await expect(a.getByTestId('jump-latest')).toBeVisible();
  const before = await log.evaluate((el) => el.scrollTop);
  await send(b, 'A late message');
  const pill = a.getByTestId('new-below');
  await expect(pill).toHaveText('1 new message below');
  expect(await log.evaluate((el) => el.scrollTop)).toBe(before);

  // The pill takes her to it, at the bottom.
  await pill.click();
  await expect(incoming(a, 'A late message')).toBeInViewport({ ratio: 1 });
  await expect
    .poll(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight))
    .toBeLessThanOrEqual(1);
  await expect(pill).toHaveCount(0);
  await expect(a.getByTestId('jump-latest')).toHaveCount(0);

  for (const page of [a, b]) await page.context().close();
});
