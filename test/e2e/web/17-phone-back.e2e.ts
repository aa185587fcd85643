/**
 * Scenario 17 (phone width): the browser's Back returns from a conversation to
 * the contact list instead of leaving the app; the header's Back button does
 * the same and leaves no extra history entry behind.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  contact,
  contacts,
  messageBox,
  openApp,
  signUp,
  authenticate,
  uniqueName,
} from './support/ui';

const server = useScenarioServer();

test('Back at phone width returns from the conversation to the list', async ({ browser }) => {
  const nameB = uniqueName('bob');
  const b = await signUp(browser, server.url, nameB);
  const a = await openApp(browser, server.url);
  await a.setViewportSize({ width: 420, height: 760 });
  await authenticate(a, uniqueName('alice'), 'Create account');
  const app = a.url();

  // Browser Back: from the conversation to the list, still in the app.
  await contact(a, nameB).click();
  await expect(messageBox(a)).toBeVisible();
  await expect(contacts(a)).toBeHidden();
  await a.goBack();
  await expect(contacts(a)).toBeVisible();
  await expect(messageBox(a)).toBeHidden();
  expect(a.url()).toBe(app);

  // Forward/Back again, then the header's Back button: no entry left behind.
  await contact(a, nameB).click();
  await expect(messageBox(a)).toBeVisible();
  await a.getByRole('button', { name: 'Back to contacts' }).click();
  await expect(contacts(a)).toBeVisible();
  expect(a.url()).toBe(app);
  expect(await a.evaluate(() => history.state as unknown)).not.toEqual({
    tickline: 'conversation',
  });

  for (const page of [a, b]) await page.context().close();
});
