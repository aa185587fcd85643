/**
 * Timeouts from measurement, not guesses. A test file that does real slow
 * work (scrypt at its full cost, a server start, a worker thread, a child
 * process) times one operation representative of that work while it is
 * collected — on this machine, under the load it has now — and derives its
 * timeouts from it: {@link FACTOR} times the operations a test does, never
 * less than vitest's default of 5 s. On a busy machine the measurement is
 * slower too, so the timeouts grow with the load instead of firing because
 * of it; on an idle one a hang is still caught after a bounded time.
 *
 * Use it with a top-level `await` (vitest fixes a test's timeout when it is
 * collected):
 *
 * ```ts
 * const hashing = await calibrate('one scrypt hash at N=2^17', () => hash());
 * it('…', async () => { …three hashes… }, hashing.timeout(3));
 * ```
 */
import { beforeEach } from 'vitest';

/** How many times the measured duration a timeout allows (the margin for load that rises later). */
export const FACTOR = 10;
/** No timeout is shorter than this (vitest's default `testTimeout`). */
export const FLOOR_MS = 5_000;

/** One timed operation, and the timeouts it gives. */
export interface Calibration {
  /** What was timed, e.g. "one scrypt hash at N=2^17". */
  what: string;
  /** How long it took (ms). */
  ms: number;
  /**
   * A timeout for work of `units` such operations: {@link FACTOR} × `units`
   * × the measured time, at least `floorMs` (default {@link FLOOR_MS}).
   */
  timeout(units: number, floorMs?: number): number;
}

/**
 * A calibration itself runs while the file is collected, where vitest has no
 * timeout: it fails after this long (one of the file's own operations taking
 * five minutes means none of its tests could pass on this machine anyway).
 */
export const CALIBRATION_CAP_MS = 300_000;

/** The timeout for `units` operations that each took `ms` when measured. */
export function timeoutFor(ms: number, units: number, floorMs = FLOOR_MS): number {
  if (!(units > 0)) throw new RangeError(`units must be positive, got ${units}`);
  return Math.max(floorMs, Math.ceil(FACTOR * units * ms));
}

/**
 * Runs `op` once and times it. Call it at the top level of a test file: a
 * test of the file that fails then also prints what was measured, so a
 * timeout says what it was derived from.
 */
export async function calibrate(what: string, op: () => unknown): Promise<Calibration> {
  const started = performance.now();
  let cap: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(op),
      new Promise((_, reject) => {
        cap = setTimeout(
          () =>
            reject(new Error(`calibration: ${what} did not finish in ${CALIBRATION_CAP_MS} ms`)),
          CALIBRATION_CAP_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(cap);
  }
  const ms = performance.now() - started;
  const calibration: Calibration = {
    what,
    ms,
    timeout: (units, floorMs) => timeoutFor(ms, units, floorMs),
  };
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      console.error(
        `[calibrate] this file's timeouts come from: ${what} took ${Math.round(ms)} ms ` +
          `when the file was collected (a timeout allows ${FACTOR}× per operation, at least ${FLOOR_MS} ms)`,
      );
    });
  });
  return calibration;
}

/**
 * A fixed piece of CPU work in JavaScript (20,000 rows through JSON and a
 * sort; 50–300 ms on a 2-core machine, depending on its load), for a test
 * whose slow part cannot be timed apart from the test itself (e.g. a
 * library's one-time schema compilation). Such a test states its cost in
 * these units, as measured next to it: `calibrate('…', referenceWork)`, then
 * `timeout(cost)`.
 */
export function referenceWork(): number {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
  const rows = Array.from({ length: 20_000 }, (_, i) => ({
    id: `row-${i}`,
    n: random(),
    tags: [random().toString(36), i % 7],
  }));
  const text = JSON.stringify(rows);
  const back = JSON.parse(text) as typeof rows;
  back.sort((a, b) => a.n - b.n);
  return back.length + text.length;
}
