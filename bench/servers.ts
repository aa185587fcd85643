/** The three servers a run compares, started side by side, and the people each one's load uses. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fakeSessions, registerMany, toPairs } from './accounts';
import { flags } from './config';
import { startProcess, type Running } from './processes';
import type { Pair, Target } from './protocol';
import { UNLIMITED_ARGS } from './unlimited';

/** Tickline, the shape baseline and the relay, each its own process. */
export interface Servers {
  tickline: Running;
  shape: Running;
  relay: Running;
  /** `pairs[target][i]`: the i-th sender and recipient for that server. */
  pairs: Record<Target, Pair[]>;
  /** Stops all three and removes Tickline's data directory. */
  stop(): void;
}

/** Starts the three servers and prepares `pairCount` pairs for each (real accounts on Tickline). */
export async function startServers(pairCount: number): Promise<Servers> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tickline-bench-'));
  const [tickline, shape, relay] = await Promise.all([
    startProcess(
      [
        'server/cli.ts',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--data',
        dataDir,
        '--log-level',
        'warn',
        ...UNLIMITED_ARGS,
        ...flags['tickline-args'].split(' ').filter(Boolean),
      ],
      { TICKLINE_INSECURE_SCRYPT_LOG2N: '10' },
    ),
    startProcess(['bench/shape.ts']),
    startProcess(['bench/relay.ts']),
  ]);
  return {
    tickline,
    shape,
    relay,
    pairs: {
      tickline: toPairs(await registerMany(tickline.url, pairCount * 2, 'b')),
      shape: toPairs(fakeSessions(pairCount * 2, 's')),
      relay: toPairs(fakeSessions(pairCount * 2, 'r')),
    },
    stop() {
      for (const p of [tickline, shape, relay]) p.child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
