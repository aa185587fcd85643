/**
 * Scenario 21 (issue 21): the owner sets up a new server. A fresh server
 * with the default registration (invite) prints a one-time setup code; its
 * web client asks for it on the first run, refuses without it or with a
 * wrong one, and with the printed code makes the owner the admin. After
 * that nobody is asked for a setup code, and nobody joins without an invite.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChildServer, type ChildServer } from '../../support/childServer';
import { contacts, openApp, PASSWORD, screenshot, uniqueName } from './support/ui';

let server: ChildServer;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tickline-e2e-first-run-'));
  // The CLI's own registration default (invite); plain http and no mDNS as in every e2e test.
  server = await startChildServer(
    ['--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level', 'warn'],
    {},
    { defaults: ['--tls', 'off', '--discovery', 'off'] },
  );
});
test.afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the owner enters the printed setup code and becomes the admin', async ({ browser }) => {
  const code = server.setupCode!;
  expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
  const owner = uniqueName('owner');

  const page = await openApp(browser, server.url);
  await expect(page.getByRole('heading', { name: 'Set up this server' })).toBeVisible();
  await expect(page.getByTestId('setup-notice')).toContainText('no accounts yet');
  await page.getByRole('textbox', { name: 'Username' }).fill(owner);
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  const create = page.getByRole('button', { name: 'Create account', exact: true });

  // Without the code, and with a wrong one: refused, nothing made.
  await create.click();
  await expect(page.getByRole('alert')).toContainText('The setup code is missing or wrong');
  const setupCode = page.getByRole('textbox', { name: 'Setup code' });
  await setupCode.fill('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
  await create.click();
  await expect(page.getByRole('alert')).toContainText('The setup code is missing or wrong');
  await expect(contacts(page)).toHaveCount(0);
  await screenshot(page, 'e2e-21-setup-code');

  // The printed code, as a person might type it (lower case): the owner is in, as admin.
  await setupCode.fill(code.toLowerCase());
  await create.click();
  await expect(contacts(page)).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Settings' }).click();
  const admin = page.getByRole('dialog', { name: 'Settings' }).getByTestId('admin');
  await expect(admin).toBeVisible();
  await expect(
    admin.locator(`[data-testid="admin-user"][data-username="${owner}"]`),
  ).toHaveAttribute('data-admin', 'true');

  // Someone else now: no setup code asked for, the code is void, an invite is needed.
  const stranger = await openApp(browser, server.url);
  await expect(stranger.getByRole('textbox', { name: 'Username' })).toBeVisible();
  await expect(stranger.getByRole('heading', { name: 'Welcome' })).toBeVisible();
  await expect(stranger.getByRole('textbox', { name: 'Setup code' })).toHaveCount(0);
  await stranger.getByRole('textbox', { name: 'Username' }).fill(uniqueName('eve'));
  await stranger.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await stranger.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(stranger.getByRole('alert')).toContainText('needs an invite');
});
