/**
 * Electron end-to-end: the built desktop app (out/), host mode in the first
 * window, a second window through File → New Window (its own session), two
 * people sign up and chat, asserted through the UI contract
 * (/work/shared/contract/ui-testing.md, `data-status` ticks).
 *
 * Needs: the Electron binary (npm install without ELECTRON_SKIP_BINARY_DOWNLOAD),
 * `npm run build`, and better-sqlite3 rebuilt for Electron
 * (`npx electron-builder install-app-deps`; `npm rebuild better-sqlite3`
 * switches it back to Node for the other suites). Without the binary every
 * test here is skipped with the reason printed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  _electron as electron,
  expect,
  test,
  type ElectronApplication,
  type Locator,
  type Page,
} from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN_ENTRY = path.join(ROOT, 'out/main/index.js');
const SCREENSHOTS = path.join(ROOT, 'test-results/electron');

/** The Electron executable, or why there is none. */
function findElectron(): { path: string } | { reason: string } {
  try {
    // The `electron` package exports the binary's path; it throws when
    // `path.txt` is missing (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
    const executable = createRequire(import.meta.url)('electron') as unknown;
    if (typeof executable !== 'string') return { reason: 'the electron package gave no path' };
    if (!existsSync(executable)) return { reason: `${executable} does not exist` };
    return { path: executable };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

const found = findElectron();
const SKIP_REASON =
  'reason' in found
    ? `Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD): ${found.reason}`
    : undefined;
if (SKIP_REASON) console.log(`[electron e2e] skipped: ${SKIP_REASON}`);

test.describe.configure({ mode: 'serial' });
test.skip(SKIP_REASON !== undefined, SKIP_REASON);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** First start: choose "Host on this computer" (on `port`, when the UI asks for one). */
async function chooseHost(page: Page, port: number): Promise<void> {
  const host = page
    .getByRole('button', { name: 'Host on this computer' })
    .or(page.getByRole('radio', { name: 'Host on this computer' }))
    .or(page.getByRole('tab', { name: 'Host on this computer' }));
  await host.first().click();
  // The contract does not name the port field; fill it when there is one.
  const portField = page
    .getByRole('spinbutton', { name: /port/i })
    .or(page.getByRole('textbox', { name: /port/i }));
  if (await portField.first().isVisible()) {
    await portField.first().fill(String(port));
    // en-US renderer: "Start hosting" (renderer/src/i18n/en-US.ts, setup.startHosting).
    const start = page
      .getByRole('button', { name: 'Start hosting' })
      .or(page.getByRole('button', { name: /^(start|continue|save|ok)\b/i }));
    if (await start.first().isVisible()) await start.first().click();
  }
  await expect(page.getByRole('textbox', { name: 'Username' })).toBeVisible({ timeout: 30_000 });
}

async function createAccount(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(contacts(page)).toBeVisible({ timeout: 30_000 });
}

function contacts(page: Page): Locator {
  return page
    .getByRole('list', { name: 'Contacts' })
    .or(page.getByRole('listbox', { name: 'Contacts' }));
}

function contact(page: Page, name: string): Locator {
  return contacts(page)
    .getByRole('listitem', { name: new RegExp(name, 'i') })
    .or(contacts(page).getByRole('option', { name: new RegExp(name, 'i') }))
    .first();
}

async function send(page: Page, text: string): Promise<Locator> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  return page.locator('[data-testid="message"][data-direction="out"]', { hasText: text });
}

test.describe('desktop app', () => {
  let app: ElectronApplication | undefined;
  let userData: string;
  let port: number;

  test.beforeAll(async () => {
    expect(existsSync(MAIN_ENTRY), `${MAIN_ENTRY} is missing: run \`npm run build\``).toBe(true);
    userData = mkdtempSync(path.join(tmpdir(), 'tickline-electron-e2e-'));
    port = await freePort();
    app = await electron.launch({
      args: [MAIN_ENTRY],
      cwd: ROOT,
      env: { ...process.env, TICKLINE_USER_DATA_DIR: userData, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    app.process().stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  });

  test.afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('host in one window, chat with a second window', async () => {
    test.setTimeout(180_000);
    if (!app) throw new Error('the app did not start');
    const alice = await app.firstWindow();
    await expect(alice).toHaveURL(/^app:\/\/tickline\//);

    // The page has the bridge and nothing else of Node or Electron.
    const surface = await alice.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      return {
        require: typeof w.require,
        process: typeof w.process,
        bridge: Object.keys((w.tickline ?? {}) as object).sort(),
        origin: location.origin,
        popup: window.open('https://example.com/') === null,
      };
    });
    expect(surface).toEqual({
      require: 'undefined',
      process: 'undefined',
      bridge: [
        'connectServer',
        'getServerChoice',
        'hostServer',
        'openExternal',
        'openNewWindow',
        'resetServerChoice',
        'setUnreadCount',
      ],
      origin: 'app://tickline',
      popup: true,
    });
    expect(app.windows()).toHaveLength(1);

    await chooseHost(alice, port);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    // When the UI had no port field the app hosts on the default port instead.
    const hostPort = health?.ok ? port : 7420;
    await createAccount(alice, 'alice');

    // File → New Window: a second window with its own session.
    const [bob] = await Promise.all([
      app.waitForEvent('window'),
      app.evaluate(({ Menu }) => {
        Menu.getApplicationMenu()?.getMenuItemById('new-window')?.click();
      }),
    ]);
    await expect(bob).toHaveURL(/^app:\/\/tickline\//);
    // The host choice is remembered app-wide: straight to sign-in.
    await expect(bob.getByRole('textbox', { name: 'Username' })).toBeVisible({ timeout: 30_000 });
    await createAccount(bob, 'bob');

    // Alice writes to Bob, who is online: sent → delivered.
    await expect(contact(alice, 'bob')).toHaveAttribute('data-online', 'true', {
      timeout: 15_000,
    });
    await contact(alice, 'bob').click();
    const hello = await send(alice, 'Hello from the host window');
    await expect(hello).toHaveCount(1);
    await expect(hello).toHaveAttribute('data-status', /^(pending|sent|delivered)$/);
    await expect(hello).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
    await expect(hello.getByLabel('Delivered', { exact: true })).toBeVisible();

    // Bob sees it exactly once, and answers.
    await contact(bob, 'alice').click();
    const received = bob.locator('[data-testid="message"][data-direction="in"]', {
      hasText: 'Hello from the host window',
    });
    await expect(received).toHaveCount(1);
    const reply = await send(bob, 'Hi Alice, from window 2');
    await expect(reply).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
    await expect(
      alice.locator('[data-testid="message"][data-direction="in"]', {
        hasText: 'Hi Alice, from window 2',
      }),
    ).toHaveCount(1);
    await expect(bob.locator('[data-testid="connection"]')).toHaveAttribute(
      'data-state',
      'connected',
    );

    await alice.screenshot({ path: path.join(SCREENSHOTS, 'host-window.png') });
    await bob.screenshot({ path: path.join(SCREENSHOTS, 'second-window.png') });

    // The choice is in the settings file; the server's data in userData.
    const settings = JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8'));
    expect(settings).toEqual({ version: 1, server: { mode: 'host', port: hostPort } });
    expect(existsSync(path.join(userData, 'server-data'))).toBe(true);

    // Quitting stops the embedded server.
    await app.close();
    app = undefined;
    await expect(fetch(`http://127.0.0.1:${hostPort}/healthz`)).rejects.toThrow();
  });
});
