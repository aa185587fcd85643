/** The people a benchmark run uses: real Tickline accounts, or made-up ids for the baselines. */
import { register } from '../client/api';
import type { Session } from '../protocol';
import type { Pair } from './protocol';

/** Registers `n` Tickline accounts, 50 at a time (the server needs `--registration open`). */
export async function registerMany(url: string, n: number, prefix: string): Promise<Session[]> {
  const out: Session[] = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) =>
      register(url, { username: `${prefix}${stamp}_${i + k}`, password: 'benchmark password' }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** `n` sessions with made-up ids and no token, for the servers that trust the handshake. */
export function fakeSessions(n: number, prefix: string): Session[] {
  return Array.from({ length: n }, (_, i) => ({
    userId: `${prefix}${i}`,
    username: `${prefix}${i}`,
    displayName: `${prefix}${i}`,
    token: '',
  }));
}

/** Sessions 0 and 1, 2 and 3, … as sender and recipient. */
export function toPairs(sessions: Session[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < sessions.length; i += 2)
    pairs.push({ a: sessions[i]!, b: sessions[i + 1]! });
  return pairs;
}
