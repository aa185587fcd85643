/** Window partitions and the permissions windows get. No Electron here. */
import { isAppUrl } from './appProtocol';

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

const ALLOWED_PERMISSIONS = new Set<string>([
  'notifications',
  'clipboard-sanitized-write',
  'fullscreen',
  // Chromium's Local Network Access permission (connecting to LAN servers),
  // under the names it has used; the app exists to talk to LAN servers.
  'local-network-access',
  'local-network',
  'loopback-network',
]);

/** Whether a page at `requestingUrl` may have `permission` (only a few, only for the app's pages). */
export function isAllowedPermission(
  permission: string,
  requestingUrl: string | undefined,
  devOrigin?: string,
): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl, devOrigin);
}
