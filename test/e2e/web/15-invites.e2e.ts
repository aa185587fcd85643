/**
 * Scenario 15 (issue 10 §2): a server that takes people by invite. Its first
 * account (made with the setup code, scenario 21) is the admin; the admin
 * makes an invite in Settings → Admin; a colleague opens the invite link in
 * another browser, which shows the sign-up with the code filled in, and
 * joins; without an invite nobody can. When the admin disables the
 * colleague, the colleague's app is signed out at once, and signing in again
 * says the account is disabled.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChildServer, type ChildServer } from '../../support/childServer';
import {
  authenticate,
  contact,
  contacts,
  openApp,
  PASSWORD,
  screenshot,
  signIn,
  uniqueName,
} from './support/ui';

let server: ChildServer;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tickline-e2e-invites-'));
  server = await startChildServer([
    ...['--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level', 'warn'],
    ...['--registration', 'invite'],
  ]);
});
test.afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
}

async function closeSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Close' }).first().click();
  await expect(page.getByRole('dialog', { name: 'Settings' })).toHaveCount(0);
}

test('an admin invites a colleague by link; disabling signs them out at once', async ({
  browser,
}) => {
  const bossName = uniqueName('boss');
  const colleagueName = uniqueName('kim');

  // The first account needs no invite, but the setup code the server printed; it is the admin.
  const boss = await openApp(browser, server.url);
  await boss.getByRole('textbox', { name: 'Setup code' }).fill(server.setupCode!);
  await authenticate(boss, bossName, 'Create account');
  await openSettings(boss);
  const admin = boss.getByTestId('admin');
  await expect(admin).toBeVisible();
  await expect(
    admin.locator(`[data-testid="admin-user"][data-username="${bossName}"]`),
  ).toHaveAttribute('data-admin', 'true');

  // Someone without an invite cannot join.
  const stranger = await openApp(browser, server.url);
  await stranger.getByRole('textbox', { name: 'Username' }).fill(uniqueName('eve'));
  await stranger.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await stranger.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(stranger.getByRole('alert')).toContainText('needs an invite');

  // The admin makes an invite for one person, valid 24 hours.
  await admin.getByRole('combobox', { name: 'Valid for' }).selectOption({ label: '1 day' });
  await admin.getByRole('spinbutton', { name: 'Accounts it may create' }).fill('1');
  await admin.getByRole('button', { name: 'Create invite' }).click();
  const linkField = admin.getByTestId('invite-link');
  await expect(linkField).toHaveValue(new RegExp(`^${server.url}/#/invite/[A-Za-z0-9_-]{22}$`));
  const link = await linkField.inputValue();
  await expect(admin.getByTestId('invite').first()).toHaveAttribute('data-state', 'active');
  await admin.scrollIntoViewIfNeeded();
  await screenshot(boss, 'e2e-15-admin');

  // The colleague opens the link: the sign-up has the code, and joining works.
  const colleague = await openApp(browser, link);
  await expect(colleague.getByTestId('invited')).toBeVisible();
  await expect(colleague.getByTestId('invite-code')).toHaveValue(link.split('/').pop()!);
  await screenshot(colleague, 'e2e-15-invited-sign-up');
  await colleague.getByRole('textbox', { name: 'Username' }).fill(colleagueName);
  await colleague.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  // The colleague takes the boss's name as display name: both lists say who is who.
  await colleague.getByRole('textbox', { name: 'Display name' }).fill(bossName.toUpperCase());
  await colleague.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(contacts(colleague)).toBeVisible({ timeout: 30_000 });
  await expect(contact(colleague, `${bossName} (@${bossName})`)).toBeVisible();
  await expect(contact(boss, `${bossName.toUpperCase()} (@${colleagueName})`)).toBeVisible();
  expect(new URL(colleague.url()).hash).toBe('');

  // The invite is used up: reopening Settings shows it so, and the colleague in the list.
  await closeSettings(boss);
  await openSettings(boss);
  await expect(admin.getByTestId('invite').first()).toHaveAttribute('data-state', 'used-up');
  const row = admin.locator(`[data-testid="admin-user"][data-username="${colleagueName}"]`);
  await expect(row).toHaveAttribute('data-disabled', 'false');

  // Disabled: the colleague's app is signed out at once, and cannot sign in again.
  await row.getByRole('button', { name: `Disable ${colleagueName}` }).click();
  await expect(row).toHaveAttribute('data-disabled', 'true');
  await expect(colleague.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(contacts(colleague)).toHaveCount(0);
  await colleague.getByRole('textbox', { name: 'Username' }).fill(colleagueName);
  await colleague.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await colleague.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(colleague.getByRole('alert')).toContainText('This account is disabled');

  // Light and dark screenshots of the admin section.
  await row.scrollIntoViewIfNeeded();
  await screenshot(boss, 'e2e-15-admin-users');

  // Enabled again, with a one-time reset code: the colleague sets a new password with it.
  await row.getByRole('button', { name: `Enable ${colleagueName}` }).click();
  await expect(row).toHaveAttribute('data-disabled', 'false');
  await row
    .getByRole('button', { name: `Issue a password-reset code for ${colleagueName}` })
    .click();
  const resetCode = await row.getByTestId('reset-code').inputValue();
  expect(resetCode).toMatch(/^[A-Za-z0-9_-]{22}$/);
  await colleague.getByText('Have a reset code?').click();
  await colleague.getByRole('textbox', { name: 'Reset code' }).fill(resetCode);
  await colleague.getByLabel('New password').fill('a fresh passphrase');
  await colleague.getByRole('button', { name: 'Set new password' }).click();
  await expect(colleague.getByText('Password changed. Sign in with the new one.')).toBeVisible();
  await colleague
    .getByRole('textbox', { name: 'Password', exact: true })
    .fill('a fresh passphrase');
  await colleague.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(contacts(colleague)).toBeVisible({ timeout: 30_000 });
  await boss.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
  await admin.scrollIntoViewIfNeeded();
  await screenshot(boss, 'e2e-15-admin-dark');

  // Sessions: the boss signs in on a second browser, then signs out everywhere else.
  const laptop = await signIn(browser, server.url, bossName);
  await closeSettings(boss);
  await openSettings(boss);
  await expect(boss.getByTestId('device')).toHaveCount(2);
  await expect(boss.locator('[data-testid="device"][data-current="true"]')).toHaveAttribute(
    'data-expires-at',
    /^\d+$/,
  );
  await boss.getByTestId('revoke-others').click();
  await expect(boss.getByTestId('device')).toHaveCount(1);
  await expect(laptop.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await boss.getByTestId('device').scrollIntoViewIfNeeded();
  await screenshot(boss, 'e2e-15-sessions-dark');

  // Change password: a wrong current one is refused; the right one works.
  const form = boss.getByTestId('password-change');
  await form.getByLabel('Current password').fill('not my password');
  await form.getByLabel('New password', { exact: true }).fill('another good one');
  await form.getByLabel('Repeat new password').fill('another good one');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('alert')).toContainText('The current password is wrong.');
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('status')).toContainText('Password changed.');

  for (const p of [boss, stranger, colleague, laptop]) await p.context().close();
});
