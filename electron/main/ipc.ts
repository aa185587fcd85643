/** IPC argument schemas and window partitions. No Electron here. */
import { z } from 'zod';
import { MAX_ADDRESS_LENGTH } from './address';
import { portSchema } from './settings';

export { CHANNELS, EVENTS } from './channels';

/** Argument tuples of each channel, validated in the main process. */
export const ARGS = {
  getServerChoice: z.tuple([]),
  hostServer: z.tuple([portSchema]),
  connectServer: z.tuple([z.string().max(MAX_ADDRESS_LENGTH)]),
  resetServerChoice: z.tuple([]),
  openExternal: z.tuple([z.string().max(8192)]),
  openNewWindow: z.tuple([]),
  setUnreadCount: z.tuple([z.number().int().min(0).max(1_000_000)]),
} as const;

/** Partition of the window numbered `n` (1, 2, …): each window its own persistent session. */
export function partitionFor(n: number): string {
  return `persist:tickline-window-${n}`;
}

/** The lowest window number not in use, so that reopened windows find their sessions again. */
export function nextWindowNumber(inUse: Iterable<number>): number {
  const taken = new Set(inUse);
  let n = 1;
  while (taken.has(n)) n += 1;
  return n;
}
