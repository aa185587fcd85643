/** The benchmark's command-line flags and the sizes of its scenarios (quick and full). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './processes';
import type { Target } from './protocol';

/** The parsed command line. */
export const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
    'docs-dir': { type: 'string', default: path.join(ROOT, 'docs') },
    /** Extra flags for Tickline's server (experiments): --tickline-args='--client-ack-timeout-ms 1000'. */
    'tickline-args': { type: 'string', default: '' },
  },
});
/** `--quick`: under a minute. */
export const QUICK = flags.quick;
/** Sizes and durations of the scenarios. */
export const CONFIG = QUICK
  ? {
      pairs: 20,
      inFlight: 10,
      durationMs: 1_500,
      warmupMs: 300,
      lightMs: 1_000,
      // 20 pairs is scenario 1's own size, so the quick curve costs two runs per server.
      curve: [1, 20, 50],
      curveMs: 1_000,
      curveWarmupMs: 300,
      idle: 1_000,
      offline: 2_000,
      faultMs: 2_000,
    }
  : {
      pairs: 50,
      inFlight: 10,
      durationMs: 6_000,
      warmupMs: 1_000,
      lightMs: 5_000,
      curve: [1, 2, 5, 10, 20, 50, 100],
      curveMs: 2_500,
      curveWarmupMs: 500,
      idle: 10_000,
      offline: 10_000,
      faultMs: 8_000,
    };
/** Scenario 2: pairs with one message in flight each. */
export const LIGHT_PAIRS = 10;
/** Load worker processes for the pair scenarios. */
export const WORKERS = 2;
/** The servers the raw scenarios compare, in the order they run. */
export const TARGETS: Target[] = ['tickline', 'shape', 'relay'];
/** The scenarios `--only` asks for (default all). */
export const only = new Set((flags.only ?? '1,2,3,4,5,6').split(',').map(Number));

/** A progress line on stderr (none with --json). */
export function log(line: string) {
  if (!flags.json) process.stderr.write(`${line}\n`);
}

/** Runs `run` and logs how long scenario `name` took. */
export async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await run();
  log(`    (scenario ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}
