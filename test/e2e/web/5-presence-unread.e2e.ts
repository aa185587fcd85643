/**
 * Scenario 5: presence and unread counts update live; the contact list is
 * sorted by recent activity.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  authenticate,
  contact,
  contacts,
  openConversation,
  screenshot,
  send,
  signUp,
  uniqueName,
} from './support/ui';

const server = useScenarioServer();

test('presence and unread counts update live', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const nameC = uniqueName('carol');
  const a = await signUp(browser, server.url, nameA);

  // B and C create their accounts while A watches: they appear, online.
  const b = await signUp(browser, server.url, nameB);
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');
  const c = await signUp(browser, server.url, nameC);
  await expect(contact(a, nameC)).toHaveAttribute('data-online', 'true');

  // B signs out: offline for A; signs in again: online.
  await b.getByRole('button', { name: 'Sign out' }).click();
  await b.getByRole('dialog').getByRole('button', { name: 'Sign out' }).click();
  await expect(b.getByRole('textbox', { name: 'Username' })).toBeVisible();
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'false');
  await authenticate(b, nameB, 'Sign in');
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');

  // Unread counts grow live while A looks elsewhere.
  await openConversation(b, nameA);
  await send(b, 'First from Bob');
  await expect(contact(a, nameB).getByTestId('unread')).toHaveText('1');
  await send(b, 'Second from Bob');
  await expect(contact(a, nameB).getByTestId('unread')).toHaveText('2');
  await expect(contact(a, nameB)).toContainText('Second from Bob');

  // Most recent activity first: C writes, C moves to the top.
  await openConversation(c, nameA);
  await send(c, 'Carol here');
  await expect(contact(a, nameC).getByTestId('unread')).toHaveText('1');
  await expect(contacts(a).getByRole('listitem').first()).toHaveAccessibleName(new RegExp(nameC));
  await screenshot(a, 'e2e-5-unread');

  // The filter box.
  await a.getByRole('searchbox', { name: 'Search contacts' }).fill(nameB.slice(0, 6));
  await expect(contacts(a).getByRole('listitem')).toHaveCount(1);
  await a.getByRole('searchbox', { name: 'Search contacts' }).fill('');

  // Opening the conversation reads it.
  await openConversation(a, nameB);
  await expect(contact(a, nameB).getByTestId('unread')).toHaveCount(0);
  await expect(contact(a, nameC).getByTestId('unread')).toHaveText('1');

  // C closes the app: offline.
  await c.context().close();
  await expect(contact(a, nameC)).toHaveAttribute('data-online', 'false');
  await screenshot(a, 'e2e-5-presence');
  await a.context().close();
  await b.context().close();
});
