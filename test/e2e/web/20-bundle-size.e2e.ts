/**
 * Scenario 20: the first view (sign-in, contact list, an open conversation)
 * runs at most 200 kB of gzipped JavaScript; the second locale, settings and
 * dialogs are chunks loaded on demand. Reads out/web (built by globalSetup),
 * following index.html's scripts and their static imports; then checks in
 * the browser that a locale switch loads its chunk first (no key, no English
 * flash after a reload in Chinese), and that the service worker keeps the
 * lazy chunks for when the server is down.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import zh from '../../../renderer/src/i18n/zh-CN';
import { firstViewScripts, WEB_ROOT } from '../../support/webBundle';
import { useScenarioServer } from './support/server';
import { openApp } from './support/ui';

/** The first view's budget: gzipped JavaScript, in bytes (200 kB). */
const BUDGET = 200_000;
/** Texts only the Chinese messages have. */
const CHINESE = [zh.app.tagline, zh.auth.subtitle, zh.contacts.title];

const server = useScenarioServer();

test('the first view is at most 200 kB of gzipped JavaScript, without the Chinese messages', () => {
  const files = firstViewScripts();
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  console.log(
    `first view: ${files.map((f) => `${f.file} ${f.gzip} B`).join(', ')}; total ${total} B gzip`,
  );
  expect(files.length).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(BUDGET);
  for (const { file } of files) {
    const code = readFileSync(path.join(WEB_ROOT, file), 'utf8');
    for (const text of CHINESE) expect(code, `${file} holds "${text}"`).not.toContain(text);
    expect(code, `${file} holds the settings panel`).not.toContain('settings-title');
  }
  // The Chinese messages are in the build, in a chunk of their own.
  const assets = readdirSync(path.join(WEB_ROOT, 'assets')).filter((f) => f.endsWith('.js'));
  const withChinese = assets.filter((f) =>
    readFileSync(path.join(WEB_ROOT, 'assets', f), 'utf8').includes(zh.app.tagline),
  );
  expect(withChinese).toHaveLength(1);
  expect(files.map((f) => path.basename(f.file))).not.toContain(withChinese[0]);
});

test('switching to Chinese loads its messages first; a reload in Chinese never shows English', async ({
  browser,
}) => {
  const page = await openApp(browser, server.url);
  const scripts: string[] = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  expect(scripts.some((s) => /zh-CN/.test(s))).toBe(false);

  // Every text the page shows from now on, to catch a key or a half translation.
  await page.evaluate(() => {
    const w = window as unknown as { __texts: string[] };
    w.__texts = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const nodes = r.type === 'characterData' ? [r.target] : [...r.addedNodes];
        for (const n of nodes) if (n.textContent) w.__texts.push(n.textContent.trim());
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: zh.settings.title })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect(scripts.some((s) => /zh-CN/.test(s))).toBe(true);
  const texts = await page.evaluate(() => (window as unknown as { __texts: string[] }).__texts);
  expect(texts.filter((t) => /^[a-z]+(\.[a-zA-Z_]+)+$/.test(t))).toEqual([]);

  // Reloaded in Chinese: the app mounts once the messages are there.
  await page.addInitScript(() => {
    const w = window as unknown as { __english: boolean };
    w.__english = false;
    new MutationObserver(() => {
      if (document.body?.innerText.includes('Sign in')) w.__english = true;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.reload();
  await expect(page.getByRole('button', { name: zh.auth.signIn, exact: true })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __english: boolean }).__english)).toBe(
    false,
  );
  await page.context().close();
});

test('while the server is down the lazy chunks come from the service worker: settings, Chinese', async ({
  browser,
}) => {
  const page = await openApp(browser, server.url);
  // Installed on the first visit, it keeps every chunk the build lists (shell.json).
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await server.kill();
  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: zh.settings.title })).toBeVisible();
  await page.context().close();
});
