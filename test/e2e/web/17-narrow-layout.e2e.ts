/**
 * Scenario 17 (layout): a 64-character display name — the person's own and a
 * contact's — does not widen the app at 420 px: the contact list stays within
 * the viewport (names end in an ellipsis) and Settings and Sign out stay on
 * screen, in the list and in the open conversation's header.
 */
import { expect, test, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import { contact, contacts, openApp, PASSWORD, uniqueName } from './support/ui';

const server = useScenarioServer();

/** 64 characters without a space: nothing to wrap at. */
const LONG = 'Wolfgang-Amadeus-Mozart-Bartholdy-von-Hohenzollern-Sigmaringen-X';

/** Creates `username`'s account with `displayName` set. */
async function signUpNamed(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await page.locator('details.more summary').click();
  await page.getByRole('textbox', { name: 'Display name' }).fill(displayName);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(contacts(page)).toBeVisible({ timeout: 30_000 });
}

/** Asserts that `locator` lies fully within the page's 420 px width. */
async function withinViewport(page: Page, what: string, selector: string): Promise<void> {
  const box = await page.locator(selector).first().boundingBox();
  expect(box, what).not.toBeNull();
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what}: right edge`).toBeLessThanOrEqual(420);
}

test('a 64-character display name keeps the 420 px layout intact', async ({ browser }) => {
  expect(LONG).toHaveLength(64);
  const nameB = uniqueName('bob');
  const b = await openApp(browser, server.url);
  await signUpNamed(b, nameB, LONG);

  const a = await openApp(browser, server.url);
  await a.setViewportSize({ width: 420, height: 760 });
  await signUpNamed(a, uniqueName('alice'), `${LONG.slice(0, 63)}A`);
  await expect(contact(a, LONG)).toBeVisible();

  // No horizontal overflow anywhere.
  const width = await a.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'page scroll width').toBeLessThanOrEqual(420);
  await withinViewport(a, 'contact list', '[role="list"][aria-label="Contacts"]');
  await withinViewport(a, 'contact entry', '[role="list"][aria-label="Contacts"] li');
  await withinViewport(a, 'Settings', 'button[aria-label="Settings"]');
  await withinViewport(a, 'Sign out', 'button[aria-label="Sign out"]');
  await expect(a.getByRole('button', { name: 'Settings' })).toBeInViewport({ ratio: 1 });
  await expect(a.getByRole('button', { name: 'Sign out' })).toBeInViewport({ ratio: 1 });
  // The long name is cut with an ellipsis, not wrapped or spilled.
  const name = contact(a, LONG).locator('.name');
  expect(await name.evaluate((el) => getComputedStyle(el).textOverflow)).toBe('ellipsis');
  expect(await name.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);

  // The open conversation: its header fits too.
  await contact(a, LONG).click();
  await expect(a.getByRole('textbox', { name: 'Message' })).toBeVisible();
  expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
  await withinViewport(a, 'conversation header', '.pane .head');
  await withinViewport(a, 'Back', 'button[aria-label="Back to contacts"]');
  await withinViewport(a, 'Message box', 'textarea');
  const title = a.locator('.pane .head h2');
  await expect(title).toHaveText(LONG);
  expect(
    await title.evaluate((el) => [
      getComputedStyle(el).textOverflow,
      getComputedStyle(el).overflow,
    ]),
  ).toEqual(['ellipsis', 'hidden']);
  expect(await title.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
});
