/**
 * Scenario 2: B is offline (context closed): A's message shows `stored`
 * (waiting for recipient); B signs in, sees it once; A's turns `delivered`.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  authenticate,
  contact,
  incoming,
  openApp,
  openConversation,
  screenshot,
  send,
  signUp,
  uniqueName,
  expectShownOnce,
  REACHED,
} from './support/ui';

const server = useScenarioServer();

test('offline recipient: stored, then delivered when B signs in', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await signUp(browser, server.url, nameA);
  const b = await signUp(browser, server.url, nameB);
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');

  // B goes away: the whole browser context closes.
  await b.context().close();
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'false');

  await openConversation(a, nameB);
  const message = await send(a, 'Are you there? This waits for you on the server.');
  await expect(message).toHaveAttribute('data-status', 'stored');
  await expect(
    message.getByRole('img', { name: 'Waiting for recipient', exact: true }),
  ).toBeVisible();
  await screenshot(a, 'e2e-2-stored');

  // B comes back in a fresh browser and signs in.
  const b2 = await openApp(browser, server.url);
  await authenticate(b2, nameB, 'Sign in');
  await expect(contact(b2, nameA).getByTestId('unread')).toHaveText('1');
  await openConversation(b2, nameA);
  await expectShownOnce(incoming(b2, 'Are you there?'), [b2, a]);

  // Delivered; by now read too, as B has the conversation open (the pages were quiet).
  await expect(message).toHaveAttribute('data-status', REACHED);
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');
  await screenshot(a, 'e2e-2-delivered');
  await screenshot(b2, 'e2e-2-received');
  await a.context().close();
  await b2.context().close();
});
