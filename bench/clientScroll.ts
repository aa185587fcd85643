import type { Page } from '@playwright/test';

/** What one continuous scroll up the history recorded. */
export interface ScrollRun {
  /** Animation frame timestamps (ms, page clock). */
  frames: number[];
  /** Messages scrolled past (by their number `b<n>`). */
  messages: number;
  durationMs: number;
  /** Frames in which the history sat at its top, waiting for an older page. */
  waitingFrames: number;
  longTasks: number;
  longTaskMs: number;
}

/**
 * Scrolls the open history up by `step` px every animation frame (the main
 * thread drives it: the hardest case for the page) until `messages` messages
 * have gone by, the first message is reached or `maxMs` passed; records each
 * frame's timestamp and the long tasks meanwhile.
 */
export function scrollUp(
  page: Page,
  step: number,
  messages: number,
  maxMs: number,
): Promise<ScrollRun> {
  return page.evaluate(
    ({ step, messages, maxMs }) =>
      new Promise<ScrollRun>((resolve) => {
        const log = document.querySelector<HTMLElement>('[role="log"]')!;
        /** The smallest message number on screen. */
        const topNumber = () => {
          const v = log.getBoundingClientRect();
          let top = Number.POSITIVE_INFINITY;
          for (const el of log.querySelectorAll('[data-msg-id^="b"]')) {
            const r = el.getBoundingClientRect();
            if (r.bottom > v.top && r.top < v.bottom) {
              top = Math.min(top, Number(el.getAttribute('data-msg-id')!.slice(1)));
            }
          }
          return top;
        };
        let longTasks = 0;
        let longTaskMs = 0;
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            longTasks++;
            longTaskMs += e.duration;
          }
        });
        observer.observe({ type: 'longtask' });
        const start = topNumber();
        const frames: number[] = [];
        let waitingFrames = 0;
        let passed = 0;
        const t0 = performance.now();
        const frame = (t: number) => {
          frames.push(t);
          if (log.scrollTop <= 0) waitingFrames++;
          log.scrollBy(0, -step);
          if (frames.length % 15 === 0) passed = start - topNumber();
          const atFirst =
            document.querySelector('[data-msg-id="b0"]') !== null && log.scrollTop <= 0;
          if (passed >= messages || atFirst || t - t0 > maxMs) {
            observer.disconnect();
            resolve({
              frames,
              messages: start - topNumber(),
              durationMs: performance.now() - t0,
              waitingFrames,
              longTasks,
              longTaskMs,
            });
            return;
          }
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
    { step, messages, maxMs },
  );
}

/** Intervals between consecutive frames, in ms. */
export function intervals(frames: readonly number[]): number[] {
  return frames.slice(1).map((t, i) => t - frames[i]!);
}
