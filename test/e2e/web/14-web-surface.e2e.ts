/**
 * Scenario 14: the web surface. The built web client, served over https with
 * the server's automatic certificate (the default), loads and works under the
 * server's Content Security Policy with no violation reported, and another
 * site cannot frame it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  authenticate,
  connection,
  contact,
  expectShownOnce,
  incoming,
  openConversation,
  send,
  uniqueName,
} from './support/ui';

const server = useScenarioServer({}, { tls: true });

/** What the page reported about its Content Security Policy: console lines and violation events. */
interface CspLog {
  console: string[];
  violations(): Promise<string[]>;
}

/**
 * A person's browser that accepted the self-signed certificate (as a person
 * does after comparing its fingerprint), with every CSP report collected.
 */
async function openTrusted(browser: Browser, url: string): Promise<{ page: Page; csp: CspLog }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text()))
      consoleLines.push(message.text());
  });
  page.on('pageerror', (error) => consoleLines.push(`page error: ${error.message}`));
  const response = await page.goto(url);
  const headers = response!.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  return {
    page,
    csp: {
      console: consoleLines,
      violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    },
  };
}

test('the web client works over https under the CSP, with no violation; no other site can frame it', async ({
  browser,
}) => {
  expect(server.url).toMatch(/^https:/);
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await openTrusted(browser, server.url);
  await authenticate(a.page, nameA, 'Create account');
  const b = await openTrusted(browser, server.url);
  await authenticate(b.page, nameB, 'Create account');
  await expect(connection(a.page)).toHaveAttribute('data-state', 'connected');
  await expect(connection(b.page)).toHaveAttribute('data-state', 'connected');

  await expect(contact(a.page, nameB)).toBeVisible();
  await openConversation(a.page, nameB);
  const message = await send(a.page, 'over TLS, under the CSP');
  await expect(message).toHaveAttribute('data-status', /^(delivered|read)$/);
  await openConversation(b.page, nameA);
  await expectShownOnce(incoming(b.page, 'over TLS, under the CSP'), [b.page, a.page]);
  // A reload (the service worker and cached shell may take over) stays clean too.
  await a.page.reload();
  await expect(connection(a.page)).toHaveAttribute('data-state', 'connected');

  for (const side of [a, b]) {
    expect(side.csp.console).toEqual([]);
    // No violation at all: not even zod's eval probe (the renderer sets
    // `z.config({ jitless: true })` before any schema runs).
    expect(await side.csp.violations()).toEqual([]);
  }

  // Another site (a page of its own on this machine, another port, no CSP)
  // framing the client: the browser shows an error page in the frame
  // instead of the app.
  const site = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<!doctype html><iframe id="f" src="${server.url}/"></iframe>`),
  );
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  try {
    const framer = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await framer.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    const frames = framer.frames().map((f) => f.url());
    expect(frames).toHaveLength(2);
    expect(frames[1]).not.toContain(new URL(server.url).host);
    expect(await framer.frames()[1]!.content()).toContain('ERR_BLOCKED_BY_RESPONSE');
    await expect(framer.frameLocator('#f').locator('#app')).toHaveCount(0);
  } finally {
    site.close();
  }
});
