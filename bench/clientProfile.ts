import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';

/** A CPU profile as CDP's Profiler.stop returns it (the fields used here). */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time in `profile`: `ms  name  file:line:col`. */
export function topSelfTime(profile: CpuProfile, count = 15): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.split('/').pop() ?? '';
    const key = `${frame.functionName || '(anonymous)'}  ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${key}`);
}

/**
 * Runs `work` under the CDP sampling profiler when `file` is given: writes
 * the profile there (open it in Chrome DevTools) and logs the top self times.
 */
export async function profiled<T>(
  page: Page,
  file: string | undefined,
  work: () => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  if (!file) return work();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
  await cdp.send('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    await cdp.detach();
    writeFileSync(file, JSON.stringify(profile));
    log(`profile ${file}; top self time:\n${topSelfTime(profile).join('\n')}`);
  }
}

/** One event of a Chrome trace (the fields used here). */
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  args?: { name?: string };
}

/** Time per event name on the page's main thread (CrRendererMain), nested events included. */
export function mainThreadEvents(events: TraceEvent[], count = 14): string[] {
  const mains = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const byName = new Map<string, number>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || !mains.has(`${e.pid}:${e.tid}`)) continue;
    byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${name}`);
}

/**
 * Runs `work` under a Chrome trace (devtools.timeline) when `file` is given:
 * writes it there (load it in DevTools' Performance panel) and logs where the
 * renderer's main thread spent its time.
 */
export async function traced<T>(
  page: Page,
  file: string | undefined,
  work: () => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  const browser = page.context().browser();
  if (!file || !browser) return work();
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'],
  });
  try {
    return await work();
  } finally {
    const buffer = await browser.stopTracing();
    writeFileSync(file, buffer);
    const { traceEvents } = JSON.parse(buffer.toString()) as { traceEvents: TraceEvent[] };
    log(`trace ${file}; main thread by event:\n${mainThreadEvents(traceEvents).join('\n')}`);
  }
}
