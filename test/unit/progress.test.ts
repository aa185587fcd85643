/**
 * The progress watch of long runs (test/support/progress.ts): a phase that
 * keeps getting things done is never failed for taking long; one that stops
 * is failed after the stall limit, saying which phase, its last step and
 * what it waits for; the run's deadline holds even while it progresses.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { converge, ProgressWatch, StallError } from '../support/progress';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const watch = (deadlineMs = 1_000_000) =>
  new ProgressWatch({ stallMs: 1_000, basis: '10 × a measured step', deadlineMs });

/** Settles `promise` into a value or the error, so fake time can run past it. */
function settled<T>(promise: Promise<T>): { result: () => T | Error | undefined } {
  let result: T | Error | undefined;
  promise.then(
    (value) => (result = value),
    (error: Error) => (result = error),
  );
  return { result: () => result };
}

describe('a phase under a progress watch', () => {
  it('runs as long as it needs while it progresses', async () => {
    const w = watch();
    const run = settled(
      w.phase(
        'load',
        async () => {
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setTimeout(resolve, 900));
            w.progress(`message ${i}`);
          }
          return 'done';
        },
        () => 'never asked',
      ),
    );
    await vi.advanceTimersByTimeAsync(20 * 900 + 100);
    expect(run.result()).toBe('done');
  });

  it('fails when nothing is done for the limit, saying what it waits for', async () => {
    const w = watch();
    const run = settled(
      w.phase(
        'drain',
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          w.progress('3 outboxes left');
          await new Promise(() => undefined); // stuck
        },
        () => 'open: p1d0 has m1 (sent)',
      ),
    );
    await vi.advanceTimersByTimeAsync(1_400);
    expect(run.result()).toBeUndefined(); // 900 ms since the last step: not yet
    await vi.advanceTimersByTimeAsync(300);
    const error = run.result();
    expect(error).toBeInstanceOf(StallError);
    expect((error as Error).message).toMatch(
      /^phase "drain" stalled: nothing done for 1\.\d s \(limit 1\.0 s, from 10 × a measured step\); the last step done: 3 outboxes left \(1\.\d s ago\); open: p1d0 has m1 \(sent\)$/,
    );
    expect(w.stopped).toBe(true);
  });

  it('is not stalled while work below its steps gets done, for up to three limits', async () => {
    const w = watch();
    const run = settled(
      w.phase(
        'load',
        async () => {
          // Storage operations complete, but the next step never comes: a livelock.
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            w.activity();
          }
        },
        () => 'storage: 900 operations running',
      ),
    );
    await vi.advanceTimersByTimeAsync(2_900);
    expect(run.result()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    expect((run.result() as Error).message).toMatch(
      /^phase "load" stalled: busy but no step done for 3\.\d s \(3 × the limit of 1\.0 s, from 10 × a measured step\); the last step done: load began; storage: 900 operations running$/,
    );
  });

  it('fails at the deadline even while progressing', async () => {
    const w = watch(5_000);
    const run = settled(
      w.phase(
        'catch-up',
        async () => {
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            w.progress('one more');
          }
        },
        () => 'lost=3',
      ),
    );
    await vi.advanceTimersByTimeAsync(6_000);
    expect((run.result() as Error).message).toMatch(
      /^the run passed its deadline of 5\.0 s in phase "catch-up" \(still working: .*\); lost=3$/,
    );
  });
});

describe('converging on a count', () => {
  it('counts each new lowest count as progress, and ends at 0', async () => {
    const w = watch();
    const counts = [5, 5, 4, 4, 4, 2, 0];
    const run = settled(
      w.phase(
        'catch-up',
        () => converge(w, 'devices caught up', async () => counts.shift()!),
        () => '',
      ),
    );
    await vi.advanceTimersByTimeAsync(7 * 200);
    expect(run.result()).toBeUndefined();
    expect(counts).toEqual([]);
  });

  it('stalls when the count stops going down', async () => {
    const w = watch();
    const run = settled(
      w.phase(
        'catch-up',
        () => converge(w, 'devices caught up', async () => 3),
        () => 'lost=3 (…)',
      ),
    );
    await vi.advanceTimersByTimeAsync(1_200);
    expect((run.result() as Error).message).toMatch(
      /^phase "catch-up" stalled: .* the last step done: devices caught up: 3 left \(1\.0 s ago\); lost=3 \(…\)$/,
    );
  });

  it('gives a phase three of its slowest checks', async () => {
    const w = watch();
    const run = settled(
      w.phase(
        'catch-up',
        () =>
          converge(w, 'devices caught up', async () => {
            await new Promise((resolve) => setTimeout(resolve, 800)); // a slow check
            return 3;
          }),
        () => '',
      ),
    );
    // The first check (3 left) is the last progress, at 0.8 s; the limit is now 2.4 s.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(w.limitMs).toBe(2_400);
    expect(run.result()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500);
    expect(run.result()).toBeInstanceOf(StallError);
  });
});
