import { expect, type Browser, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCREENSHOTS = fileURLToPath(new URL('../../../../docs/screenshots', import.meta.url));
/**
 * `data-status` of a message that reached its recipient: `delivered`, or
 * `read` already when the recipient has the conversation open.
 */
export const REACHED = /^(delivered|read)$/;

/** Password of every test account. */
export const PASSWORD = 'correct horse battery';

let counter = 0;

/** A username no other test (or earlier run on the same data) uses. */
export function uniqueName(prefix: string): string {
  counter++;
  const stamp = Date.now().toString(36).slice(-6);
  const random = Math.random().toString(36).slice(2, 6);
  return `${prefix}${stamp}${random}${counter}`.toLowerCase().slice(0, 32);
}

/** A new browser context (its own storage: another person) with the app open. */
export async function openApp(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(url);
  return page;
}

/** Fills the sign-in form and presses `button` (`Create account` or `Sign in`). */
export async function authenticate(
  page: Page,
  username: string,
  button: 'Create account' | 'Sign in',
): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await page.getByRole('button', { name: button, exact: true }).click();
  await expect(contacts(page)).toBeVisible({ timeout: 30_000 });
}

/** Opens the app for a new user and creates their account. */
export async function signUp(browser: Browser, url: string, username: string): Promise<Page> {
  const page = await openApp(browser, url);
  await authenticate(page, username, 'Create account');
  return page;
}

/** Opens the app in a new browser context (another device) and signs an existing account in. */
export async function signIn(browser: Browser, url: string, username: string): Promise<Page> {
  const page = await openApp(browser, url);
  await authenticate(page, username, 'Sign in');
  return page;
}

/** The texts of the open conversation's messages, in the order shown. */
export async function shownOrder(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="message"] .body')
    .evaluateAll((els) => els.map((el) => el.textContent?.trim() ?? ''));
}

/** The contact list. */
export function contacts(page: Page): Locator {
  return page.getByRole('list', { name: 'Contacts' });
}

/** A contact's entry (its accessible name contains the display name). */
export function contact(page: Page, name: string): Locator {
  return contacts(page).getByRole('listitem', { name });
}

/** The connection indicator. */
export function connection(page: Page): Locator {
  return page.getByTestId('connection');
}

/** Opens the conversation with `name`. */
export async function openConversation(page: Page, name: string): Promise<void> {
  await contact(page, name).click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
}

/**
 * Types `text` and presses Enter; returns the outgoing message element. When
 * it does not show, the error says what the page showed instead (whether the
 * text is still in the box, the bubbles in the history, where it is scrolled).
 */
export async function send(page: Page, text: string): Promise<Locator> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  const message = outgoing(page, text);
  try {
    await expect(message).toHaveCount(1);
  } catch (error) {
    throw new Error(`"${text}" did not show as one outgoing message; ${await sendState(page)}`, {
      cause: error,
    });
  }
  return message;
}

/** What the open conversation shows, for a failed {@link send}. */
async function sendState(page: Page): Promise<string> {
  try {
    return await page.evaluate(() => {
      const box = document.querySelector<HTMLTextAreaElement>('textarea');
      const log = document.querySelector<HTMLElement>('[role="log"]');
      const bubbles = [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')];
      const shown = bubbles.map(
        (b) =>
          `${b.dataset.direction} ${b.dataset.status ?? ''} ${JSON.stringify(b.querySelector('.body')?.textContent?.trim() ?? '')}`,
      );
      return [
        `the Message box holds ${JSON.stringify(box?.value ?? null)}`,
        `connection ${document.querySelector<HTMLElement>('[data-testid="connection"]')?.dataset.state}`,
        log
          ? `the history is scrolled to ${Math.round(log.scrollTop)} of ${log.scrollHeight - log.clientHeight}`
          : 'no history',
        `${bubbles.length} bubbles rendered, the last ones: ${shown.slice(-4).join('; ')}`,
      ].join(', ');
    });
  } catch (error) {
    return `the page could not be read: ${String(error)}`;
  }
}

/** Outgoing messages containing `text`. */
export function outgoing(page: Page, text: string): Locator {
  return page.locator('[data-testid="message"][data-direction="out"]', { hasText: text });
}

/** Incoming messages containing `text`. */
export function incoming(page: Page, text: string): Locator {
  return page.locator('[data-testid="message"][data-direction="in"]', { hasText: text });
}

/**
 * Records every `data-status` each outgoing message shows, in order (a
 * MutationObserver, so states that last only milliseconds are seen too).
 */
export async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __statuses: Record<string, string[]> };
    w.__statuses = {};
    const push = (el: Element, value: string | null) => {
      const id = el.getAttribute('data-msg-id');
      if (!id || !value) return;
      const list = (w.__statuses[id] ??= []);
      if (list[list.length - 1] !== value) list.push(value);
    };
    const isMessage = (n: Node): n is Element =>
      n instanceof Element && n.getAttribute('data-testid') === 'message';
    document.querySelectorAll('[data-testid="message"]').forEach((el) => {
      push(el, el.getAttribute('data-status'));
    });
    new MutationObserver((records) => {
      const touched = new Set<Element>();
      for (const r of records) {
        if (r.type === 'attributes' && isMessage(r.target)) {
          // The value before this change: states replaced before the
          // callback ran are not lost.
          push(r.target, r.oldValue);
          touched.add(r.target);
        } else {
          for (const n of r.addedNodes) {
            if (!(n instanceof Element)) continue;
            if (isMessage(n)) touched.add(n);
            n.querySelectorAll('[data-testid="message"]').forEach((el) => touched.add(el));
          }
        }
      }
      for (const el of touched) push(el, el.getAttribute('data-status'));
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeOldValue: true,
      attributeFilter: ['data-status'],
    });
  });
}

/** The statuses recorded for message `id`. */
export async function statusHistory(page: Page, id: string): Promise<string[]> {
  return page.evaluate(
    (msgId) =>
      (window as unknown as { __statuses: Record<string, string[]> }).__statuses[msgId] ?? [],
    id,
  );
}

/** Saves a screenshot of `page` into docs/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}

/** How long the pages must show no new bubble and no status change before "once" is judged. */
export const QUIET_MS = 1_500;

/**
 * Resolves once `page` has been quiet for `quietMs`: no message bubble
 * added or removed, no `data-status` changed (a MutationObserver restarts
 * the clock on each), and none of its own messages still in flight
 * (`pending` or `sent`, which the engine may retransmit).
 */
export async function waitUntilQuiet(page: Page, quietMs = QUIET_MS): Promise<void> {
  await page.evaluate(
    (ms) =>
      new Promise<void>((resolve) => {
        const isMessage = (n: Node): boolean =>
          n instanceof Element &&
          (n.getAttribute('data-testid') === 'message' ||
            n.querySelector('[data-testid="message"]') !== null);
        const inFlight = () =>
          document.querySelector(
            '[data-testid="message"][data-status="pending"], [data-testid="message"][data-status="sent"]',
          ) !== null;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const restart = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            if (inFlight()) return restart();
            observer.disconnect();
            resolve();
          }, ms);
        };
        const observer = new MutationObserver((records) => {
          const relevant = records.some((r) =>
            r.type === 'attributes'
              ? isMessage(r.target)
              : [...r.addedNodes, ...r.removedNodes].some(isMessage),
          );
          if (relevant) restart();
        });
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          attributeFilter: ['data-status'],
        });
        restart();
      }),
    quietMs,
  );
}

/**
 * Asserts that `messages` (the bubbles of one message) shows exactly once,
 * and still exactly once after `pages` (by default the page of `messages`;
 * pass the sender's too) have been quiet for `quietMs`: a copy that shows up
 * after the first, from a retransmission or a catch-up, is caught, where
 * `toHaveCount(1)` alone passes as soon as the first copy appears.
 */
export async function expectShownOnce(
  messages: Locator,
  pages: Page[] = [messages.page()],
  quietMs = QUIET_MS,
): Promise<void> {
  await expect(messages).toHaveCount(1);
  await Promise.all(pages.map((p) => waitUntilQuiet(p, quietMs)));
  expect(await messages.count(), 'shown once, also once the pages were quiet').toBe(1);
}

/** The open conversation's `Message` box. */
export function messageBox(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message' });
}
