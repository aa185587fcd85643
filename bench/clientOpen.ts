import type { Page } from '@playwright/test';

/** Time from the click on a contact to its newest message on screen, in ms. */
export interface OpenTime {
  /** The newest message is in the DOM, inside the visible part of the history. */
  dom: number;
  /** The frame showing it has been produced (the task after its animation frame). */
  painted: number;
  /** Messages the history had in the DOM then. */
  rendered: number;
  /** What the app opened at: the newest message, or the "New messages" divider above the first unread. */
  at: 'newest' | 'unread divider';
}

/**
 * Clicks the contact entry of `userId` inside the page (so the clock starts
 * at the click) and resolves when the history shows what it opens at: the
 * message `newestId`, or with unread messages the "New messages" divider
 * above the first of them. A MutationObserver (and a check every frame)
 * notices it, then an animation frame and a task later it has been painted.
 */
export function timedOpen(page: Page, userId: string, newestId: string): Promise<OpenTime> {
  return page.evaluate(
    ({ userId, newestId }) =>
      new Promise<OpenTime>((resolve, reject) => {
        const button = document.querySelector<HTMLElement>(
          `[data-user-id="${userId}"] button.entry`,
        );
        if (!button) return reject(new Error(`no contact entry for ${userId}`));
        const onScreen = (selector: string) => {
          const node = document.querySelector(selector);
          const log = node?.closest('[role="log"]');
          if (!node || !log) return false;
          const r = node.getBoundingClientRect();
          const v = log.getBoundingClientRect();
          return r.height > 0 && r.bottom > v.top && r.top < v.bottom;
        };
        const shown = (): OpenTime['at'] | null => {
          if (onScreen(`[data-msg-id="${newestId}"]`)) return 'newest';
          return onScreen('[data-testid="unread-divider"]') ? 'unread divider' : null;
        };
        const timeout = setTimeout(() => reject(new Error('not shown within 60 s')), 60_000);
        let t0 = 0;
        let seen = false;
        const check = () => {
          const at = seen ? null : shown();
          if (!at) return;
          seen = true;
          observer.disconnect();
          const dom = performance.now() - t0;
          const rendered = document.querySelectorAll('[data-testid="message"]').length;
          requestAnimationFrame(() =>
            setTimeout(() => {
              clearTimeout(timeout);
              resolve({ dom, painted: performance.now() - t0, rendered, at });
            }, 0),
          );
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, attributes: true });
        // Scrolling is no mutation: look at every frame too.
        const poll = () => {
          check();
          if (!seen) requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
        t0 = performance.now();
        button.click();
      }),
    { userId, newestId },
  );
}

/** Opens another conversation and waits until its messages show (switching away). */
export async function openOther(page: Page, userId: string): Promise<void> {
  await page.locator(`[data-user-id="${userId}"] button.entry`).click();
  await page
    .locator(`[data-testid="message"][data-msg-id^="o"]`)
    .first()
    .waitFor({ timeout: 30_000 });
}
