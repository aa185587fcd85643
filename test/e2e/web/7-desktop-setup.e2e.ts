/**
 * The renderer's desktop mode (host / connect step), driven with a stand-in
 * for the Electron preload's `window.tickline` bridge. The real shell is
 * tested by test/e2e/electron where the Electron binary exists.
 */
import { expect, test, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import { authenticate, screenshot, uniqueName } from './support/ui';

const server = useScenarioServer();

/** Installs a fake bridge: port 7420 is taken, any other port hosts `url`. */
async function fakeBridge(page: Page, url: string): Promise<void> {
  await page.addInitScript((serverUrl) => {
    let choice: unknown = null;
    const calls: string[] = [];
    (window as unknown as Record<string, unknown>).__bridgeCalls = calls;
    (window as unknown as Record<string, unknown>).tickline = {
      getServerChoice: async () => choice,
      hostServer: async (port: number) => {
        calls.push(`host:${port}`);
        if (port === 7420) {
          return { ok: false, code: 'port_in_use', error: 'EADDRINUSE' };
        }
        const value = { url: serverUrl, port, lanAddresses: [`http://192.168.1.23:${port}`] };
        choice = { mode: 'host', ...value };
        return { ok: true, value };
      },
      connectServer: async (address: string) => {
        calls.push(`connect:${address}`);
        if (!address.includes('127.0.0.1')) {
          return { ok: false, code: 'unreachable', error: 'no answer' };
        }
        choice = { mode: 'connect', url: serverUrl };
        return { ok: true, value: { url: serverUrl } };
      },
      resetServerChoice: async () => {
        choice = null;
      },
      openExternal: async (link: string) => {
        calls.push(`open:${link}`);
      },
      openNewWindow: async () => undefined,
      setUnreadCount: () => undefined,
    };
  }, url);
}

test('desktop mode: host (port in use, pick another) and connect', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await fakeBridge(page, server.url);
  await page.goto(server.url);

  // First start: the choice.
  await expect(page.getByRole('radio', { name: 'Host on this computer' })).toBeChecked();
  await expect(page.getByRole('spinbutton', { name: 'Port' })).toHaveValue('7420');
  await page.getByRole('button', { name: 'Start hosting' }).click();
  await expect(page.getByRole('alert')).toContainText('Port 7420 is already in use');
  await screenshot(page, 'e2e-7-port-in-use');
  await page.getByRole('button', { name: 'Try port 7421' }).click();

  // Hosting: sign-in, with the addresses colleagues should enter.
  await expect(page.getByRole('textbox', { name: 'Username' })).toBeVisible();
  await expect(page.getByTestId('lan-addresses')).toContainText('http://192.168.1.23:7421');
  await authenticate(page, uniqueName('host'), 'Create account');

  // Change the server in the settings: back to the choice; connect instead.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Change server…' }).click();
  await page.getByRole('radio', { name: 'Connect to a server' }).check();
  await page.getByRole('textbox', { name: 'Server address' }).fill('10.9.9.9:7420');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('No Tickline server answered');
  await page.getByRole('textbox', { name: 'Server address' }).fill(server.url);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  // The same server as before: the saved session signs in again.
  await expect(page.getByRole('list', { name: 'Contacts' })).toBeVisible();
  const calls = await page.evaluate(
    () => (window as unknown as Record<string, unknown>).__bridgeCalls,
  );
  expect(calls).toEqual([
    'host:7420',
    'host:7421',
    'connect:10.9.9.9:7420',
    `connect:${server.url}`,
  ]);
  await page.context().close();
});
