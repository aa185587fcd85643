/**
 * README screenshots of the web client (run: `npm run screenshots`). Starts a
 * throw-away server, signs up a few colleagues, and drives Debian's Chromium
 * through the same UI a person uses; writes docs/screenshots/*.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, expect, type Browser, type Page } from '@playwright/test';
import { startChildServer, type ChildServer } from '../test/support/childServer';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'docs/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const VIEWPORT = { width: 1200, height: 760 };

function serverArgs(port: number, data: string): string[] {
  // A short retry policy, so that a message can be shown as failed quickly.
  return [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--data',
    data,
    '--log-level',
    'warn',
  ].concat(['--client-ack-timeout-ms', '700', '--client-max-attempts', '2']);
}

async function open(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function signUp(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await page.locator('summary', { hasText: 'Display name' }).click();
  await page.getByRole('textbox', { name: 'Display name' }).fill(displayName);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('list', { name: 'Contacts' })).toBeVisible({ timeout: 30_000 });
}

async function chat(page: Page, who: string): Promise<void> {
  await page.getByRole('list', { name: 'Contacts' }).getByRole('listitem', { name: who }).click();
}

/** A message that reached its recipient: `delivered`, or already `read` in a chat open on both sides. */
const REACHED = /^(delivered|read)$/;

async function say(page: Page, text: string, status?: string | RegExp): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  const message = page.locator('[data-testid="message"][data-direction="out"]', { hasText: text });
  if (status) await expect(message).toHaveAttribute('data-status', status, { timeout: 20_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), animations: 'disabled' });
  console.log(`docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-web-build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(OUT, { recursive: true });
  const data = mkdtempSync(path.join(tmpdir(), 'tickline-shots-'));
  let server: ChildServer = await startChildServer(serverArgs(0, data));
  const port = server.port;
  const url = server.url;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const alice = await open(browser, url);
    await shot(alice, 'sign-in');
    await signUp(alice, 'alice', 'Alice Chen');
    const bob = await open(browser, url);
    await signUp(bob, 'bob', 'Bob Martin');
    const carol = await open(browser, url);
    await signUp(carol, 'carol', 'Carol Diaz');
    const dan = await open(browser, url);
    await signUp(dan, 'dan', 'Dan Wu');

    await chat(carol, 'Alice Chen');
    await say(carol, 'Lunch at 12:30?', REACHED);
    await chat(dan, 'Alice Chen');
    await say(dan, 'The build is green again.', REACHED);
    await say(dan, 'Release notes: https://example.com/tickline/0.1', REACHED);

    await chat(alice, 'Bob Martin');
    await chat(bob, 'Alice Chen');
    await say(alice, 'Morning Bob! Did the printer on the 3rd floor get fixed?', REACHED);
    // Bob answers the question with a reply (right-click → Reply): the quote sits above.
    await bob
      .locator('[data-testid="message"][data-direction="in"]', { hasText: 'printer' })
      .locator('.bubble')
      .click({ button: 'right' });
    await bob.getByRole('menuitem', { name: 'Reply' }).click();
    await say(bob, 'Yes, this morning. Toner was empty, nothing worse.', REACHED);
    await say(alice, 'Great. Can you send me the Q3 slides before the meeting?', REACHED);
    await say(bob, 'Sure, give me ten minutes.\nI am adding the last chart.', REACHED);
    await bob.context().close();
    await say(alice, 'Thanks! I will be in room B from 2 pm.', 'stored');
    await shot(alice, 'conversation');

    await alice.emulateMedia({ colorScheme: 'dark' });
    await shot(alice, 'conversation-dark');
    await alice.emulateMedia({ colorScheme: 'light' });

    // Phone width: the list, then the conversation (Back returns to the list).
    await alice.setViewportSize({ width: 420, height: 760 });
    await alice.getByRole('button', { name: 'Back to contacts' }).click();
    await shot(alice, 'narrow-list');
    await chat(alice, 'Bob Martin');
    await shot(alice, 'narrow-conversation');
    await alice.setViewportSize(VIEWPORT);

    // The server goes away: one message fails, the next one waits.
    await server.kill();
    await say(alice, 'Server crashed while I was typing this one.', 'failed');
    await say(alice, 'And this one is waiting for the server.', 'pending');
    await shot(alice, 'ticks-failed-and-pending');
    await alice
      .locator('[data-testid="message"][data-status="failed"]')
      .getByRole('button', { name: 'Resend', exact: true })
      .click();
    await expect(alice.getByRole('dialog')).toBeVisible();
    await shot(alice, 'resend-dialog');
    await alice.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    server = await startChildServer(serverArgs(port, data));
    await expect(alice.getByTestId('connection')).toHaveAttribute('data-state', 'connected', {
      timeout: 30_000,
    });
    await alice.getByRole('button', { name: 'Settings' }).click();
    await alice.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
    await shot(alice, 'settings-zh-CN');
  } finally {
    await browser.close();
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
