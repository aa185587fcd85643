/** This computer's IPv4 addresses and which one the embedded server binds. No Electron here. */
import type { NetworkInterfaceInfo } from 'node:os';

/** Where the host binds when no LAN address is usable: the app still works on its own. */
export const LOOPBACK = '127.0.0.1';

/**
 * Every non-internal, non-link-local IPv4 address, private ranges
 * (192.168/16, 10/8, 172.16/12) first, without duplicates.
 */
export function interfaceChoices(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const ips = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      // Node 18.0–18.3 reported `family` as a number.
      const family: unknown = info.family;
      const isV4 = family === 'IPv4' || family === 4;
      if (isV4 && !info.internal && !info.address.startsWith('169.254.')) ips.add(info.address);
    }
  }
  return [...ips].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * The address to bind for the person's `choice`: `auto` is the first private
 * address in use; a chosen address that is gone, or no private address at
 * all, gives {@link LOOPBACK} (never every interface).
 */
export function bindAddress(
  choice: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string {
  const available = interfaceChoices(interfaces);
  if (choice === 'auto') return available.find((ip) => rank(ip) < 3) ?? LOOPBACK;
  return available.includes(choice) || choice === LOOPBACK ? choice : LOOPBACK;
}

/** `<scheme>://<ip>:<port>` for every address of {@link interfaceChoices}. */
export function lanAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  port: number,
  scheme: 'http' | 'https' = 'http',
): string[] {
  return interfaceChoices(interfaces).map((ip) => `${scheme}://${ip}:${port}`);
}

function rank(ip: string): number {
  if (ip.startsWith('192.168.')) return 0;
  if (ip.startsWith('10.')) return 1;
  const second = Number(ip.split('.')[1]);
  if (ip.startsWith('172.') && second >= 16 && second <= 31) return 2;
  return 3;
}
