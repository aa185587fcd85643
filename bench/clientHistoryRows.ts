import type { Browser, Page } from '@playwright/test';
import { heapAfterGc, rendererRss, type MainThread } from './clientBrowser';
import type { OpenTime } from './clientOpen';
import { judged, median, quantile, type ClientRow } from './clientRows';
import { intervals, type ScrollRun } from './clientScroll';

/** Open-time target (ms). */
export const OPEN_TARGET_MS = 300;
/** One frame at 60 fps (ms). */
export const FRAME_MS = 1000 / 60;

const MIB = 1024 * 1024;
/** Intervals count as late only 5 % past the frame time: a 60 Hz clock's jitter makes 16.7-16.8 ms. */
const JITTER = 1.05;
const JITTER_NOTE = 'counted over 17.5 / 35 ms: 5 % above the frame time, past vsync jitter';

/** `task ms (script, layout, style)` of a main-thread difference. */
function breakdown(t: MainThread): string {
  return `main thread ${t.task.toFixed(0)} ms: script ${t.script.toFixed(0)}, layout ${t.layout.toFixed(0)}, style ${t.style.toFixed(0)}`;
}

/** Memory rows, measured now, labelled `when`. */
export async function memoryRows(browser: Browser, page: Page, when: string): Promise<ClientRow[]> {
  const heap = await heapAfterGc(page);
  const rss = await rendererRss(browser);
  const rows: ClientRow[] = [
    {
      section: 'memory',
      metric: `JS heap used after GC, ${when}`,
      value: heap.used / MIB,
      unit: 'MiB',
      note: `heap total ${(heap.total / MIB).toFixed(1)} MiB, ${heap.nodes} DOM nodes; CDP Performance.getMetrics`,
    },
  ];
  if (rss) {
    rows.push({
      section: 'memory',
      metric: `renderer process RSS, ${when}`,
      value: rss.rss / MIB,
      unit: 'MiB',
      note: `pid ${rss.pid} (the busiest of ${rss.renderers} renderers), /proc VmRSS`,
    });
  }
  return rows;
}

/** An open and the main-thread time it took. */
export interface MeasuredOpen {
  time: OpenTime;
  thread: MainThread;
}

/** Rows of the open times. */
export function openRows(
  first: MeasuredOpen,
  reopens: MeasuredOpen[],
  unreadAtFirst: number,
): ClientRow[] {
  const painted = reopens.map((o) => o.time.painted);
  const middle = [...reopens].sort((a, b) => a.time.painted - b.time.painted)[
    Math.floor((reopens.length - 1) / 2)
  ]!;
  const at = [...new Set(reopens.map((o) => o.time.at))].join(' / ');
  return [
    judged(
      {
        section: 'open',
        metric: 'first open (click → newest message painted)',
        value: first.time.painted,
        unit: 'ms',
        note: `${unreadAtFirst} unread then, opened at the ${first.time.at}; in the DOM after ${first.time.dom.toFixed(1)} ms, ${first.time.rendered} bubbles; ${breakdown(first.thread)}`,
      },
      OPEN_TARGET_MS,
    ),
    judged(
      {
        section: 'open',
        metric: `reopen median of ${reopens.length} (switch away and back)`,
        value: median(painted),
        unit: 'ms',
        note: `opened at the ${at}; min ${Math.min(...painted).toFixed(1)}, max ${Math.max(...painted).toFixed(1)}; in the DOM: median ${median(reopens.map((o) => o.time.dom)).toFixed(1)} ms; median open's ${breakdown(middle.thread)}`,
      },
      OPEN_TARGET_MS,
    ),
  ];
}

/** Rows of the scroll run. */
export function scrollRows(run: ScrollRun, thread: MainThread, step: number): ClientRow[] {
  const gaps = intervals(run.frames);
  const over = (ms: number) => (100 * gaps.filter((g) => g > ms).length) / Math.max(1, gaps.length);
  const fps = (1000 * gaps.length) / Math.max(1, run.frames.at(-1)! - run.frames[0]!);
  const row = (metric: string, value: number, unit: string, note?: string): ClientRow => ({
    section: 'scroll',
    metric,
    value,
    unit,
    ...(note ? { note } : {}),
  });
  const perFrame = (ms: number) => (ms / Math.max(1, run.frames.length)).toFixed(2);
  return [
    row(
      'messages scrolled through',
      run.messages,
      'messages',
      `${step} px per frame, scrollBy in requestAnimationFrame, ${(run.durationMs / 1000).toFixed(1)} s; ${run.waitingFrames} frames at the top waiting for an older page`,
    ),
    row('frames rendered', run.frames.length, 'frames'),
    judged({ section: 'scroll', metric: 'frame rate', value: fps, unit: 'fps' }, 58, true),
    row('frame interval p50', quantile(gaps, 0.5), 'ms'),
    judged(
      { section: 'scroll', metric: 'frame interval p95', value: quantile(gaps, 0.95), unit: 'ms' },
      FRAME_MS * 1.2,
    ),
    row('frame interval p99', quantile(gaps, 0.99), 'ms'),
    row('frames over 16.7 ms', over(FRAME_MS * JITTER), '%', JITTER_NOTE),
    row('frames over 33 ms', over(2 * FRAME_MS * JITTER), '%', JITTER_NOTE),
    row('long tasks (> 50 ms)', run.longTasks, 'tasks', `${run.longTaskMs.toFixed(0)} ms in all`),
    row(
      'main thread busy while scrolling',
      (100 * thread.task) / Math.max(1, run.durationMs),
      '%',
      `per frame: ${perFrame(thread.task)} ms, of it script ${perFrame(thread.script)}, layout ${perFrame(thread.layout)}, style ${perFrame(thread.style)} (the bench's own probe included)`,
    ),
  ];
}
