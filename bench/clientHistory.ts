import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import type { Session } from '../protocol';
import {
  benchContext,
  mainThreadProbe,
  signInThroughUi,
  spent,
  storedMessages,
} from './clientBrowser';
import { memoryRows, openRows, scrollRows, type MeasuredOpen } from './clientHistoryRows';
import { openOther, timedOpen } from './clientOpen';
import type { ClientBenchOptions } from './clientOptions';
import { profiled, traced } from './clientProfile';
import type { ClientRow } from './clientRows';
import { scrollUp } from './clientScroll';
import { seedHistory, type SeededHistory } from './clientSeed';

/** The people of the history bench. */
export interface HistoryPeople {
  reader: Session;
  big: Session;
  friends: Session[];
}

/** Polls until the page's IndexedDB holds `total` messages; returns how long it took. */
async function caughtUp(page: Page, total: number, since: number): Promise<number> {
  for (;;) {
    const stored = await storedMessages(page);
    if (stored >= total) return Date.now() - since;
    if (Date.now() - since > 15 * 60_000) throw new Error(`caught up only ${stored}/${total}`);
    await page.waitForTimeout(250);
  }
}

/**
 * Seeds a day's history for the reader, lets the reader's browser catch it
 * up, then measures opening the big conversation, scrolling it and memory.
 */
export async function measureHistory(
  browser: Browser,
  url: string,
  people: HistoryPeople,
  options: ClientBenchOptions,
  log: (line: string) => void,
): Promise<ClientRow[]> {
  const rows: ClientRow[] = [];
  const context = await benchContext(browser);
  // The reader's browser signs in first: its device exists before the history is written.
  const first = await context.newPage();
  await first.goto(url);
  await signInThroughUi(first, 'reader');
  await first.close();

  log('seeding the history');
  const seedStart = Date.now();
  const seeded: SeededHistory = await seedHistory(url, people.reader, people.big, people.friends, {
    ...options,
  });
  const seedMs = Date.now() - seedStart;
  rows.push({
    section: 'setup',
    metric: 'history written',
    value: seeded.total,
    unit: 'messages',
    note: `${options.bigMessages} in the big conversation (1 in ${options.ownEvery} the reader's own), ${options.otherSenders} × ${options.perOtherSender} in ${options.otherSenders} others; ${(seedMs / 1000).toFixed(1)} s (${Math.round(seeded.total / (seedMs / 1000))} msg/s)`,
  });

  log('catch-up in the browser');
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  const since = Date.now();
  await page.goto(url);
  await page.getByRole('list', { name: 'Contacts' }).waitFor({ timeout: 60_000 });
  const catchUpMs = await caughtUp(page, seeded.total, since);
  rows.push({
    section: 'setup',
    metric: 'catch-up into IndexedDB',
    value: catchUpMs / 1000,
    unit: 's',
    note: `page load to ${seeded.total} messages stored`,
  });
  await page.waitForTimeout(1_000);
  rows.push(...(await memoryRows(browser, page, 'history caught up, no conversation open')));

  log('opening the big conversation');
  const bigEntry = page.locator(`[data-user-id="${people.big.userId}"]`);
  const unread = Number(await bigEntry.getAttribute('data-unread'));
  const probe = await mainThreadProbe(page);
  /** One timed open of the big conversation, with the main-thread time it took. */
  const open = async (): Promise<MeasuredOpen> => {
    const before = await probe.read();
    const time = await timedOpen(page, people.big.userId, seeded.newestId);
    return { time, thread: spent(before, await probe.read()) };
  };
  const firstOpen = await profiled(
    page,
    options.profileDir && path.join(options.profileDir, 'open-first.cpuprofile'),
    open,
    log,
  );
  await page.waitForTimeout(1_500);
  const reopens: MeasuredOpen[] = [];
  for (let i = 0; i < options.reopens; i++) {
    await openOther(page, people.friends[i % people.friends.length]!.userId);
    await page.waitForTimeout(300);
    const traceFile =
      i === 0 && options.profileDir
        ? path.join(options.profileDir, 'reopen.trace.json')
        : undefined;
    reopens.push(await traced(page, traceFile, open, log));
    await page.waitForTimeout(300);
  }
  rows.push(...openRows(firstOpen, reopens, unread));
  rows.push(...(await memoryRows(browser, page, 'big conversation open')));

  log('scrolling');
  await page.waitForTimeout(1_000);
  const before = await probe.read();
  const run = await profiled(
    page,
    options.profileDir && path.join(options.profileDir, 'scroll.cpuprofile'),
    () => scrollUp(page, options.scrollStep, options.scrollMessages, 180_000),
    log,
  );
  rows.push(...scrollRows(run, spent(before, await probe.read()), options.scrollStep));
  rows.push(...(await memoryRows(browser, page, `after scrolling ${run.messages} messages up`)));
  await context.close();
  return rows;
}
