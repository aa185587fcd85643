/**
 * Scenario 19 (issue 11): reply, copy and emoji. Bob answers a question
 * Alice asked 150 messages earlier, from the message's context menu; both
 * see the quote above the answer, and clicking it takes Alice back to the
 * question (older pages are loaded on the way). Copy text from the menu
 * puts the message on the clipboard; the emoji picker (loaded on first
 * use, styled under the server's CSP) inserts at the caret.
 */
import { expect, test, type Page } from '@playwright/test';
import { audit } from './support/axe';
import { useScenarioServer } from './support/server';
import {
  incoming,
  messageBox,
  openConversation,
  outgoing,
  REACHED,
  screenshot,
  send,
  signUp,
  uniqueName,
} from './support/ui';

const server = useScenarioServer();

/** Collects CSP violations the page reports from now on. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

/** Messages between the question and its answer. */
const FILLERS = 150;
/** Sends timed before the test's timeout is set from them. */
const TIMED = 10;
/** How many times the measured time of a send the remaining ones get. */
const SEND_FACTOR = 3;

test('reply from the context menu, the quote jumps to the original; copy; emoji', async ({
  browser,
}, testInfo) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const b = await signUp(browser, server.url, nameB);
  const a = await signUp(browser, server.url, nameA);
  await a.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: server.url,
  });
  await openConversation(a, nameB);
  await openConversation(b, nameA);

  // Typing the 151 messages one by one is most of this test's work (0.5 s a
  // message on an idle 2-core machine, over 1 s on a busy one: 150 of them
  // alone outlasted the 120 s of playwright.config.ts there). The first ones
  // are timed, and the test gets that much more time for the rest.
  const started = Date.now();
  await send(a, 'Can you review the release notes?');
  for (let i = 1; i <= FILLERS; i++) {
    await send(a, `Filler ${i}.`);
    if (i === TIMED) {
      const perSend = (Date.now() - started) / (TIMED + 1);
      test.setTimeout(testInfo.timeout + Math.ceil(SEND_FACTOR * perSend * (FILLERS - TIMED)));
      testInfo.annotations.push({
        type: 'timing',
        description: `${Math.round(perSend)} ms a message (first ${TIMED + 1}): timeout ${testInfo.timeout} ms`,
      });
    }
  }
  await expect(incoming(b, `Filler ${FILLERS}.`)).toHaveCount(1);

  // Bob scrolls up to the question and answers it from its context menu.
  const log = b.getByRole('log', { name: 'Messages' });
  const question = incoming(b, 'Can you review the release notes?');
  await expect
    .poll(async () => {
      await log.evaluate((el) => el.scrollTo(0, 0));
      return question.count();
    })
    .toBe(1);
  await question.locator('.bubble').click({ button: 'right' });
  const menu = b.getByRole('menu', { name: 'Message actions' });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem')).toHaveText(['Reply', 'Copy text']);
  await audit(b, 'message menu');
  await menu.getByRole('menuitem', { name: 'Reply' }).click();
  await expect(menu).toHaveCount(0);
  const bar = b.getByTestId('replying-to');
  await expect(bar).toContainText(`Replying to ${nameA}`);
  await expect(bar).toContainText('Can you review the release notes?');
  await expect(messageBox(b)).toBeFocused();
  await audit(b, 'replying');
  const answer = await send(b, 'Yes, this afternoon.');
  await expect(bar).toHaveCount(0);
  await expect(answer.getByTestId('reply-quote')).toContainText(
    `${nameA}Can you review the release notes?`,
  );
  await expect(answer).toHaveAttribute('data-status', REACHED);

  // Alice sees the quote above the answer; clicking it takes her back 150 messages.
  const got = incoming(a, 'Yes, this afternoon.');
  const quote = got.getByTestId('reply-quote');
  await expect(quote).toContainText('YouCan you review the release notes?');
  await screenshot(a, 'e2e-19-reply');
  const original = outgoing(a, 'Can you review the release notes?');
  await expect(original).toHaveCount(0); // not loaded: 150 newer messages sit between
  await quote.click();
  await expect(original).toBeInViewport();
  await expect(original).toHaveAttribute('data-highlighted', 'true');

  // Copy text, by keyboard: More actions, then the menu.
  const filler = outgoing(a, 'Filler 1.');
  await filler.hover();
  await filler.getByRole('button', { name: 'More actions' }).focus();
  await a.keyboard.press('Enter');
  const aMenu = a.getByRole('menu', { name: 'Message actions' });
  await expect(aMenu.getByRole('menuitem')).toHaveText(['Reply', 'Copy text', 'Message info']);
  await expect(aMenu.getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('Enter');
  await expect(a.getByTestId('copied')).toHaveText('Copied');
  expect(await a.evaluate(() => navigator.clipboard.readText())).toBe('Filler 1.');
  // Escape closes a menu and gives focus back to its opener.
  await a.keyboard.press('Shift+F10');
  await expect(aMenu).toBeVisible();
  await a.keyboard.press('Escape');
  await expect(aMenu).toHaveCount(0);
  await expect(filler.getByRole('button', { name: 'More actions' })).toBeFocused();

  // Emoji: loaded on first use, no CSP violation, inserted at the caret.
  const violations = await watchCsp(a);
  const box = messageBox(a);
  await box.fill('Thanks !');
  await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(7, 7));
  await a.getByRole('button', { name: 'Emoji' }).click();
  const picker = a.getByRole('dialog', { name: 'Emoji' });
  await expect(picker).toHaveAttribute('data-state', 'ready');
  const smile = picker
    .locator('emoji-picker')
    .getByRole('menuitem', { name: /grinning face/i })
    .first();
  await expect(smile).toBeVisible();
  // The picker's own styles applied (its shadow <style> is allowed by hash).
  expect(
    await picker
      .locator('emoji-picker')
      .evaluate((el) => getComputedStyle(el).getPropertyValue('--emoji-size').trim()),
  ).not.toBe('');
  await audit(a, 'emoji picker');
  await screenshot(a, 'e2e-19-emoji');
  await smile.click();
  await expect(box).toHaveValue(/^Thanks .+!$/u);
  await a.keyboard.press('Escape');
  await expect(picker).toHaveCount(0);
  await expect(a.getByRole('button', { name: 'Emoji' })).toBeFocused();
  expect(await violations()).toEqual([]);
});
