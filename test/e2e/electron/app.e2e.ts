/**
 * Electron end-to-end: the built desktop app (out/), host mode (over TLS, its
 * fingerprint shown) in the first window, a second window through File → New
 * Window (its own session), two people sign up and chat, asserted through the
 * UI contract (/work/shared/contract/ui-testing.md, `data-status` ticks); then
 * a second copy of the app (another profile) connects: the Connect screen
 * shows the same fingerprint as the host's screen, the person accepts it, and
 * the app's sessions accept exactly that self-signed certificate.
 *
 * Needs the Electron binary (npm install without ELECTRON_SKIP_BINARY_DOWNLOAD)
 * and `npm run build` (`npm run test:e2e:electron` does both). better-sqlite3
 * for Electron is built here when missing or stale, apart from Node's copy
 * (scripts/electron-sqlite.mjs, as `npm start` does). Without the binary
 * every test here is skipped with the reason printed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { checkHealth } from '../../../desktop/health';
import { ensureBinding, expectedStamp, findElectron } from '../../../scripts/electron-sqlite.mjs';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN_ENTRY = path.join(ROOT, 'out/main/index.js');
const SCREENSHOTS = path.join(ROOT, 'test-results/electron');
/** Outgoing messages the recipient has received (contract: `delivered`, then `read` once opened). */
const REACHED = /^(delivered|read)$/;

const found = findElectron();
const SKIP_REASON = found.ok
  ? undefined
  : `Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD): ${found.reason}`;
if (SKIP_REASON) console.log(`[electron e2e] skipped: ${SKIP_REASON}`);

test.describe.configure({ mode: 'serial' });
test.skip(SKIP_REASON !== undefined, SKIP_REASON);

/** A port nothing listens on right now, for the host to use. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** First start: "Host on this computer" on `port`, anyone may join (the en-US setup form's names). */
async function chooseHost(page: Page, port: number): Promise<void> {
  await page.getByRole('radio', { name: 'Host on this computer' }).check();
  await page.getByRole('spinbutton', { name: 'Port' }).fill(String(port));
  // Window 2 signs up too: no invite needed (the default is "People I invite").
  await page.getByRole('radio', { name: /^Anyone on the network/ }).check();
  await page.getByRole('button', { name: 'Start hosting' }).click();
  await expect(page.getByRole('textbox', { name: 'Username' })).toBeVisible({ timeout: 30_000 });
}

async function createAccount(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(contacts(page)).toBeVisible({ timeout: 30_000 });
}

function contacts(page: Page): Locator {
  return page.getByRole('list', { name: 'Contacts' });
}

/** A person's entry: its accessible name contains the display name (here the username). */
function contact(page: Page, name: string): Locator {
  return contacts(page).getByRole('listitem', { name: new RegExp(`\\b${name}\\b`) });
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
  let serverUrl = '';
  let fingerprint = '';
  /** What the host's screen shows (checked in the first test). */
  let shortFingerprint = '';

  test.beforeAll(async () => {
    test.setTimeout(600_000);
    if (!found.ok) throw new Error(found.reason);
    expect(existsSync(MAIN_ENTRY), `${MAIN_ENTRY} is missing: run \`npm run build\``).toBe(true);
    // What `npm start`'s prestart does: better-sqlite3 for this Electron, apart from Node's.
    await ensureBinding(ROOT, expectedStamp(found.version));
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

  /** Starts another copy of the app with its own profile. */
  async function launchSecondCopy(profile: string): Promise<ElectronApplication> {
    return electron.launch({
      args: [MAIN_ENTRY],
      cwd: ROOT,
      env: { ...process.env, TICKLINE_USER_DATA_DIR: profile, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
  }

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
        'listInterfaces',
        'onFoundServers',
        'onHostEvent',
        'openExternal',
        'openNewWindow',
        'probeServer',
        'resetServerChoice',
        'setUnreadCount',
      ],
      origin: 'app://tickline',
      popup: true,
    });
    expect(app.windows()).toHaveLength(1);

    await chooseHost(alice, port);
    // Over TLS, with the host's own certificate pinned (and shown, short, to compare).
    const choice = (await alice.evaluate(() =>
      (
        window as unknown as { tickline: { getServerChoice(): Promise<unknown> } }
      ).tickline.getServerChoice(),
    )) as { url: string; fingerprint: string; shortFingerprint: string };
    serverUrl = choice.url;
    fingerprint = choice.fingerprint;
    shortFingerprint = choice.shortFingerprint;
    expect(serverUrl).toMatch(new RegExp(`^https://[^/]+:${port}$`));
    const pins = JSON.parse(readFileSync(path.join(userData, 'pins.json'), 'utf8'));
    expect(pins.pins[serverUrl]).toBe(fingerprint);
    expect(await checkHealth(serverUrl, { pin: fingerprint })).toMatchObject({ ok: true });
    await expect(alice.getByTestId('host-fingerprint')).toHaveText(choice.shortFingerprint);
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

    // Alice writes to Bob, who is online and has not opened the conversation: delivered.
    await expect(contact(alice, 'bob')).toHaveAttribute('data-online', 'true', {
      timeout: 15_000,
    });
    await contact(alice, 'bob').click();
    const hello = await send(alice, 'Hello from the host window');
    await expect(hello).toHaveCount(1);
    await expect(hello).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
    await expect(hello.getByLabel('Delivered', { exact: true })).toBeVisible();

    // Bob sees it exactly once, and answers.
    await contact(bob, 'alice').click();
    const received = bob.locator('[data-testid="message"][data-direction="in"]', {
      hasText: 'Hello from the host window',
    });
    await expect(received).toHaveCount(1);
    const reply = await send(bob, 'Hi Alice, from window 2');
    await expect(reply).toHaveAttribute('data-status', REACHED, { timeout: 20_000 });
    await expect(
      alice.locator('[data-testid="message"][data-direction="in"]', {
        hasText: 'Hi Alice, from window 2',
      }),
    ).toHaveCount(1);
    await expect(bob.getByTestId('connection')).toHaveAttribute('data-state', 'connected');

    await alice.screenshot({ path: path.join(SCREENSHOTS, 'host-window.png') });
    await bob.screenshot({ path: path.join(SCREENSHOTS, 'second-window.png') });

    // The choice is in the settings file; the server's data in userData.
    const settings = JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8'));
    expect(settings).toEqual({
      version: 1,
      server: { mode: 'host', port, registration: 'open', address: 'auto' },
    });
    expect(existsSync(path.join(userData, 'server-data'))).toBe(true);
  });

  test('another copy connects after comparing the fingerprint (trust on first use)', async () => {
    test.setTimeout(180_000);
    if (!app) throw new Error('the app did not start');
    const profile = mkdtempSync(path.join(tmpdir(), 'tickline-electron-e2e-guest-'));
    const guest = await launchSecondCopy(profile);
    try {
      const carol = await guest.firstWindow();
      await carol.getByRole('radio', { name: 'Connect to a server' }).check();
      await carol
        .getByRole('textbox', { name: 'Server address' })
        .fill(serverUrl.replace('https://', ''));
      await carol.getByRole('button', { name: 'Connect', exact: true }).click();
      // The same short fingerprint as on the host's screen; nothing pinned before accepting.
      const check = carol.getByTestId('fingerprint-check');
      await expect(check).toHaveAttribute('data-state', 'new', { timeout: 15_000 });
      await expect(carol.getByTestId('fingerprint-short')).toHaveText(shortFingerprint);
      expect(existsSync(path.join(profile, 'pins.json'))).toBe(false);
      await carol.getByRole('button', { name: 'Show the full fingerprint' }).click();
      await expect(carol.getByTestId('fingerprint-full')).toHaveText(fingerprint);
      await carol.getByRole('button', { name: 'It matches — connect' }).click();
      // Sign-up and chat go through Chromium, which now accepts exactly that certificate.
      await expect(carol.getByRole('textbox', { name: 'Username' })).toBeVisible({
        timeout: 30_000,
      });
      await createAccount(carol, 'carol');
      await expect(carol.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
      await expect(contact(await app.firstWindow(), 'carol')).toBeVisible({ timeout: 15_000 });
      const pins = JSON.parse(readFileSync(path.join(profile, 'pins.json'), 'utf8'));
      expect(pins.pins).toEqual({ [serverUrl]: fingerprint });
      await carol.screenshot({ path: path.join(SCREENSHOTS, 'guest-connected.png') });
    } finally {
      await guest.close();
      rmSync(profile, { recursive: true, force: true });
    }

    // Quitting stops the embedded server.
    await app.close();
    app = undefined;
    expect(await checkHealth(serverUrl, { pin: fingerprint })).toMatchObject({ ok: false });
  });
});
