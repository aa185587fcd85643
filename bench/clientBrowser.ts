import { readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { PASSWORD } from './clientSeed';

/** Debian's Chromium (Playwright cannot download its own here). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium as the browser tests run it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** The page's viewport, as in the browser tests. */
export const VIEWPORT = { width: 1200, height: 760 };

/**
 * A new context for the bench's pages. tsx compiles the functions handed to
 * `page.evaluate` with esbuild's keepNames, which calls a `__name` helper the
 * page does not have: the init script gives it one.
 */
export async function benchContext(
  browser: Browser,
  options: { serviceWorkers?: 'allow' | 'block' } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT, ...options });
  await context.addInitScript({ content: 'window.__name = (fn) => fn;' });
  return context;
}

/** Signs `username` in through the UI and waits for the contact list. */
export async function signInThroughUi(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('list', { name: 'Contacts' }).waitFor({ timeout: 60_000 });
}

/** A contact's entry in the list (its accessible name contains the name). */
export function contactEntry(page: Page, name: string) {
  return page.getByRole('list', { name: 'Contacts' }).getByRole('listitem', { name });
}

/** Messages stored in the page's IndexedDB (every Tickline database's `messages`). */
export function storedMessages(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(info.name!);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      if (db.objectStoreNames.contains('messages')) {
        total += await new Promise<number>((resolve, reject) => {
          const count = db.transaction('messages').objectStore('messages').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        });
      }
      db.close();
    }
    return total;
  });
}

/** JS heap of the page after a forced garbage collection (CDP), in bytes. */
export async function heapAfterGc(
  page: Page,
): Promise<{ used: number; total: number; nodes: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  return { used: get('JSHeapUsedSize'), total: get('JSHeapTotalSize'), nodes: get('Nodes') };
}

/**
 * The resident memory of the renderer process that has used the most CPU
 * (the page under test: the others are idle or spare), from /proc.
 */
export async function rendererRss(
  browser: Browser,
): Promise<{ pid: number; rss: number; renderers: number } | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number; cpuTime: number }[];
    };
    const renderers = info.processInfo.filter((p) => p.type === 'renderer');
    const busiest = renderers.sort((a, b) => b.cpuTime - a.cpuTime)[0];
    if (!busiest) return null;
    const status = readFileSync(`/proc/${busiest.id}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return { pid: busiest.id, rss: kib * 1024, renderers: renderers.length };
  } catch {
    return null;
  } finally {
    await cdp.detach();
  }
}

/** Main-thread time the page has spent so far (CDP Performance metrics), in ms. */
export interface MainThread {
  task: number;
  script: number;
  layout: number;
  style: number;
}

/**
 * A probe of the page's main-thread time: `read()` returns the totals so
 * far; the difference of two reads is what happened in between.
 */
export async function mainThreadProbe(page: Page): Promise<{ read(): Promise<MainThread> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return {
    async read() {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const ms = (name: string) => 1000 * (metrics.find((m) => m.name === name)?.value ?? 0);
      return {
        task: ms('TaskDuration'),
        script: ms('ScriptDuration'),
        layout: ms('LayoutDuration'),
        style: ms('RecalcStyleDuration'),
      };
    },
  };
}

/** `after - before`, field by field. */
export function spent(before: MainThread, after: MainThread): MainThread {
  return {
    task: after.task - before.task,
    script: after.script - before.script,
    layout: after.layout - before.layout,
    style: after.style - before.style,
  };
}
