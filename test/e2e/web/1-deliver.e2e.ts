/**
 * Scenario 1: A sends to B, both online. A's message goes sent → delivered;
 * B sees it exactly once.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  connection,
  contact,
  incoming,
  openConversation,
  REACHED,
  recordStatuses,
  screenshot,
  send,
  signUp,
  statusHistory,
  uniqueName,
  expectShownOnce,
} from './support/ui';

const server = useScenarioServer();

test('A sends to B: sent → delivered, B sees it once', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await signUp(browser, server.url, nameA);
  const b = await signUp(browser, server.url, nameB);
  await expect(connection(a)).toHaveAttribute('data-state', 'connected');
  await expect(connection(b)).toHaveAttribute('data-state', 'connected');
  // The signed-in user's name is shown.
  await expect(a.getByTestId('me')).toHaveText(nameA);

  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');
  await openConversation(a, nameB);
  await recordStatuses(a);
  const text = 'Hello Bob! See https://example.com/docs for the plan.';
  const message = await send(a, text);
  await expect(message).toHaveAttribute('data-status', 'delivered');
  await expect(message.getByRole('img', { name: 'Delivered', exact: true })).toBeVisible();
  const id = await message.getAttribute('data-msg-id');
  expect(id).toBeTruthy();
  // Every state it went through, in order: it was stored on the server
  // (sent) before it was delivered.
  expect(await statusHistory(a, id!)).toEqual(['pending', 'sent', 'delivered']);

  // B: unread count on A's entry, then the message exactly once.
  await expect(contact(b, nameA).getByTestId('unread')).toHaveText('1');
  await openConversation(b, nameA);
  const received = incoming(b, 'Hello Bob!');
  await expectShownOnce(received, [b, a]);
  await expect(received).toHaveAttribute('data-msg-id', id!);
  await expect(received.getByRole('link', { name: 'https://example.com/docs' })).toHaveAttribute(
    'target',
    '_blank',
  );
  await expect(contact(b, nameA).getByTestId('unread')).toHaveCount(0);

  // B answers; A sees the reply once.
  const reply = await send(b, 'Hi Alice, got it, thanks');
  // Alice has the conversation open: it may be read already (a clean-clone
  // run saw pending → sent → read between two looks).
  await expect(reply).toHaveAttribute('data-status', REACHED);
  await expectShownOnce(incoming(a, 'Hi Alice, got it'), [a, b]);

  await screenshot(a, 'e2e-1-delivered');
  await screenshot(b, 'e2e-1-received');
  await a.context().close();
  await b.context().close();
});
