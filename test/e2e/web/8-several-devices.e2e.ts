/**
 * Scenario 8: one person on two devices (two browser profiles). The second
 * device shows the earlier history, mirrors what the person writes on the
 * other one (as outgoing, with its status), and reading on one device clears
 * the unread count on the other. Typing shows on the other side.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  contact,
  incoming,
  openConversation,
  outgoing,
  screenshot,
  send,
  shownOrder,
  signIn,
  signUp,
  uniqueName,
  REACHED,
  expectShownOnce,
} from './support/ui';

const server = useScenarioServer();

test('a second device: history, own messages mirrored with status, unread in step', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const nameC = uniqueName('carol');
  const carol = await signUp(browser, server.url, nameC);
  const laptop = await signUp(browser, server.url, nameA);
  const bob = await signUp(browser, server.url, nameB);
  await openConversation(laptop, nameB);
  await openConversation(bob, nameA);
  await expect(await send(laptop, 'Morning Bob')).toHaveAttribute('data-status', REACHED);
  await send(bob, 'Morning Alice, coffee?');
  await expectShownOnce(incoming(laptop, 'coffee?'), [laptop, bob]);
  await expect(await send(laptop, 'Yes, 10 minutes')).toHaveAttribute('data-status', REACHED);

  // Alice signs in on a second device: the conversation's history is there, in order.
  const phone = await signIn(browser, server.url, nameA);
  await expect(contact(phone, nameB)).toHaveAttribute('data-unread', '0');
  await openConversation(phone, nameB);
  await expect(phone.getByTestId('message')).toHaveCount(3);
  expect(await shownOrder(phone)).toEqual([
    'Morning Bob',
    'Morning Alice, coffee?',
    'Yes, 10 minutes',
  ]);
  await expect(outgoing(phone, 'Morning Bob')).toHaveAttribute('data-status', REACHED);

  // Written on the phone: the laptop shows it as Alice's own, with its status; Bob once.
  const fromPhone = await send(phone, 'Sent from my phone');
  await expect(fromPhone).toHaveAttribute('data-status', REACHED);
  const mirrored = outgoing(laptop, 'Sent from my phone');
  await expectShownOnce(mirrored, [laptop, phone, bob]);
  await expect(mirrored).toHaveAttribute('data-status', REACHED);
  await expect(mirrored).toHaveAttribute(
    'data-msg-id',
    (await fromPhone.getAttribute('data-msg-id'))!,
  );
  await expectShownOnce(incoming(bob, 'Sent from my phone'), [bob, phone]);
  expect(await shownOrder(laptop)).toEqual(await shownOrder(phone));
  await screenshot(phone, 'e2e-8-second-device');

  // Unread on both while both look at another conversation; reading on one clears both.
  await openConversation(laptop, nameC);
  await openConversation(phone, nameC);
  await send(bob, 'One');
  await send(bob, 'Two');
  await expect(contact(laptop, nameB)).toHaveAttribute('data-unread', '2');
  await expect(contact(phone, nameB)).toHaveAttribute('data-unread', '2');
  await openConversation(laptop, nameB);
  await expect(contact(laptop, nameB)).toHaveAttribute('data-unread', '0');
  await expect(contact(phone, nameB)).toHaveAttribute('data-unread', '0');

  // Typing on one side shows on the other; the message itself ends it.
  await openConversation(phone, nameB);
  await phone.getByRole('textbox', { name: 'Message' }).fill('Running late');
  await expect(bob.getByTestId('typing')).toContainText(nameA);
  await phone.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expectShownOnce(incoming(bob, 'Running late'), [bob, phone]);
  await expect(bob.getByTestId('typing')).toHaveCount(0);

  // Settings lists both devices, this one marked.
  await phone.getByRole('button', { name: 'Settings' }).click();
  const devices = phone.getByTestId('device');
  await expect(devices).toHaveCount(2);
  await expect(phone.locator('[data-testid="device"][data-current="true"]')).toContainText(
    'This device',
  );
  await screenshot(phone, 'e2e-8-devices');
  for (const p of [laptop, phone, bob, carol]) await p.context().close();
});
