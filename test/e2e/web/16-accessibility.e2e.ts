/**
 * Scenario 16: accessibility. axe-core finds no serious or critical violation
 * on sign-in, the main view, a conversation, the Resend and Sign out dialogs
 * and Settings, in light and dark. And the app works from the keyboard alone:
 * sign in, pick a contact with the arrow keys, send, open the Resend dialog
 * and cancel it with Escape (focus returns to the Resend button); no mouse.
 */
import { expect, test, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  connection,
  contact,
  messageBox,
  openApp,
  openConversation,
  outgoing,
  PASSWORD,
  REACHED,
  send,
  signUp,
  uniqueName,
} from './support/ui';
import { audit } from './support/axe';

// Retry budget: 400 + 800 + 1600 ms without msg:A, then `failed`.
const server = useScenarioServer({ ackTimeoutMs: 400, maxAttempts: 3 });

/** Presses Tab until the focused element matches `accept` (at most `max` times). */
async function tabTo(page: Page, what: string, accept: (el: Element) => boolean, max = 25) {
  const check = await page.evaluateHandle(`(${accept.toString()})`);
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate(
      (fn) =>
        document.activeElement !== null && (fn as (el: Element) => boolean)(document.activeElement),
      check,
    );
    if (hit) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** The accessible name of the focused element's contact entry, if any. */
function focusedEntry(page: Page): Promise<string | null> {
  return page.evaluate(
    () => document.activeElement?.closest('li[aria-label]')?.getAttribute('aria-label') ?? null,
  );
}

test('axe: no serious or critical violations, light and dark', async ({ browser }) => {
  const nameB = uniqueName('bob');
  const b = await signUp(browser, server.url, nameB);

  const a = await openApp(browser, server.url);
  await expect(a.getByRole('button', { name: 'Create account' })).toBeVisible();
  await audit(a, 'sign-in');

  await a.getByRole('textbox', { name: 'Username' }).fill(uniqueName('alice'));
  await a.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await a.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(contact(a, nameB)).toBeVisible({ timeout: 30_000 });
  await audit(a, 'main view');

  await openConversation(a, nameB);
  const hello = await send(a, 'Hello, accessible world');
  await expect(hello).toHaveAttribute('data-status', REACHED);
  await audit(a, 'conversation');

  await a.getByRole('button', { name: 'Settings' }).click();
  await expect(a.getByRole('dialog')).toBeVisible();
  await audit(a, 'settings');
  await a.keyboard.press('Escape');
  await expect(a.getByRole('dialog')).toBeHidden();

  await a.getByRole('button', { name: 'Sign out' }).click();
  await expect(a.getByRole('dialog')).toBeVisible();
  await audit(a, 'Sign out dialog');
  await a.keyboard.press('Escape');
  await expect(a.getByRole('dialog')).toBeHidden();

  await server.kill();
  const lost = await send(a, 'This one will not arrive');
  await expect(lost).toHaveAttribute('data-status', 'failed');
  await audit(a, 'conversation with a failure');
  await lost.getByRole('button', { name: 'Resend', exact: true }).click();
  await expect(a.getByRole('dialog')).toBeVisible();
  await audit(a, 'Resend dialog');
  await a.keyboard.press('Escape');

  await server.start();
  for (const page of [a, b]) await page.context().close();
});

test('keyboard only: sign in, pick a contact with arrows, send, Resend dialog and Escape', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const nameC = uniqueName('carol');
  const b = await signUp(browser, server.url, nameB);
  const c = await signUp(browser, server.url, nameC);
  const first = await signUp(browser, server.url, nameA);
  await first.context().close();

  // Sign in without the mouse.
  const a = await openApp(browser, server.url);
  await tabTo(a, 'Username', (el) => el.getAttribute('name') === 'username');
  await a.keyboard.type(nameA);
  await a.keyboard.press('Tab');
  await a.keyboard.type(PASSWORD);
  await a.keyboard.press('Enter');
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

  // The contact list is one Tab stop; the arrow keys move within it.
  await tabTo(a, 'the contact list', (el) => el.closest('[role="list"]') !== null);
  const stops = await a.evaluate(
    () =>
      document.querySelectorAll(
        '[role="list"] button[tabindex="0"], [role="list"] button:not([tabindex])',
      ).length,
  );
  expect(stops, 'one Tab stop in the contact list').toBe(1);
  await a.keyboard.press('Home');
  for (let i = 0; i < 3 && !(await focusedEntry(a))?.includes(nameB); i++) {
    await a.keyboard.press('ArrowDown');
  }
  expect(await focusedEntry(a)).toContain(nameB);
  await a.keyboard.press('Enter');
  // Opening a conversation puts the cursor in its message box.
  await expect(messageBox(a)).toBeFocused();
  await a.keyboard.type('Typed without a mouse');
  await a.keyboard.press('Enter');
  await expect(outgoing(a, 'Typed without a mouse')).toHaveAttribute('data-status', REACHED);

  // The history can be focused and scrolled from the keyboard.
  await tabTo(a, 'the history', (el) => el.getAttribute('role') === 'log');

  // A failed message: reach its Resend button, open the dialog, cancel with Escape.
  await server.kill();
  await tabTo(a, 'the message box', (el) => el.getAttribute('aria-label') === 'Message');
  await a.keyboard.type('Lost while away');
  await a.keyboard.press('Enter');
  const lost = outgoing(a, 'Lost while away');
  await expect(lost).toHaveAttribute('data-status', 'failed');
  const resend = lost.getByRole('button', { name: 'Resend', exact: true });
  await tabTo(a, 'Resend', (el) => el.textContent?.trim() === 'Resend');
  await expect(resend).toBeFocused();
  await a.keyboard.press('Enter');
  await expect(a.getByRole('dialog')).toBeVisible();
  await a.keyboard.press('Escape');
  await expect(a.getByRole('dialog')).toBeHidden();
  await expect(resend).toBeFocused();
  await expect(lost).toHaveAttribute('data-status', 'failed');

  await server.start();
  for (const page of [a, b, c]) await page.context().close();
});
