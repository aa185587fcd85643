import type { Browser, Response } from '@playwright/test';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { builtFile, firstViewScripts, gzipSize, WEB_ROOT } from '../test/support/webBundle';
import { benchContext, contactEntry, signInThroughUi } from './clientBrowser';
import { judged, type ClientRow } from './clientRows';

/** The first view's budget of gzipped JavaScript (200 kB). */
export const FIRST_VIEW_BUDGET = 200_000;

/** One JavaScript response the page received. */
interface Fetched {
  path: string;
  bytes: number;
  gzip: number;
  /** Content-Encoding the server used, if any. */
  encoding: string;
  phase: string;
}

/**
 * Loads the web client in a fresh context (service worker blocked: its
 * background copy of the lazy chunks is not the first view), records every
 * JavaScript response of the sign-in page, then of signing `username` in and
 * opening the conversation with `peer`, and reports their gzipped sizes.
 */
export async function measureFirstView(
  browser: Browser,
  url: string,
  username: string,
  peer: string,
): Promise<ClientRow[]> {
  const context = await benchContext(browser, { serviceWorkers: 'block' });
  const page = await context.newPage();
  const fetched: Fetched[] = [];
  const pending: Promise<void>[] = [];
  let phase = 'sign-in page';
  const record = async (response: Response) => {
    const type = response.request().resourceType();
    const contentType = response.headers()['content-type'] ?? '';
    if (type !== 'script' && !/javascript/.test(contentType)) return;
    const current = phase;
    const body = await response.body();
    const encoding = response.headers()['content-encoding'] ?? '';
    fetched.push({
      path: new URL(response.url()).pathname,
      bytes: body.length,
      // Playwright hands over the decoded body: gzip it ourselves, as a compressing server would.
      gzip: gzipSize(body),
      encoding,
      phase: current,
    });
  };
  page.on('response', (r) => pending.push(record(r)));

  await page.goto(url);
  await page.getByRole('textbox', { name: 'Username' }).waitFor();
  await page.waitForLoadState('networkidle');
  await Promise.all(pending);
  phase = 'signed in, conversation open';
  await signInThroughUi(page, username);
  await contactEntry(page, peer).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  await page.locator('[data-testid="message"]').first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(500);
  await Promise.all(pending);
  await context.close();

  const rows: ClientRow[] = fetched.map((f) => ({
    section: 'bundle',
    metric: `JS fetched: ${f.path}`,
    value: f.gzip,
    unit: 'B gzip',
    note: `${f.phase}; ${f.bytes.toLocaleString('en-US')} B raw${f.encoding ? `, served ${f.encoding}` : ', served uncompressed'}`,
  }));
  const total = fetched.reduce((sum, f) => sum + f.gzip, 0);
  rows.push(
    judged(
      {
        section: 'bundle',
        metric: 'first view JS total (fetched by the page)',
        value: total,
        unit: 'B gzip',
        note: `${fetched.length} file(s), ${fetched.reduce((s, f) => s + f.bytes, 0).toLocaleString('en-US')} B raw; gzip level 9 by the bench`,
      },
      FIRST_VIEW_BUDGET,
    ),
  );
  const built = firstViewScripts();
  const lazy = readdirSync(path.join(WEB_ROOT, 'assets'))
    .map((f) => `assets/${f}`)
    .filter((f) => f.endsWith('.js') && !built.some((b) => b.file === f));
  rows.push({
    section: 'bundle',
    metric: 'chunks loaded on demand (not in the first view)',
    value: lazy.reduce((sum, f) => sum + builtFile(f).gzip, 0),
    unit: 'B gzip',
    note: `${lazy.length} files: settings, dialogs, zh-CN, server setup, emoji picker`,
  });
  rows.push(
    judged(
      {
        section: 'bundle',
        metric: 'first view JS in out/web (index.html + static imports)',
        value: built.reduce((sum, f) => sum + f.gzip, 0),
        unit: 'B gzip',
        note: built.map((f) => f.file).join(', '),
      },
      FIRST_VIEW_BUDGET,
    ),
  );
  return rows;
}
