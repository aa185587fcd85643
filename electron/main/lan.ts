/** LAN addresses colleagues should enter to reach the embedded server. No Electron here. */
import type { NetworkInterfaceInfo } from 'node:os';

/**
 * `http://<ip>:<port>` for every non-internal IPv4 address, sorted with
 * private ranges (192.168/16, 10/8, 172.16/12) first, without duplicates.
 */
export function lanAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  port: number,
): string[] {
  const ips = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      // Node 18.0–18.3 reported `family` as a number.
      const family: unknown = info.family;
      const isV4 = family === 'IPv4' || family === 4;
      if (isV4 && !info.internal && !info.address.startsWith('169.254.')) ips.add(info.address);
    }
  }
  return [...ips]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }))
    .map((ip) => `http://${ip}:${port}`);
}

function rank(ip: string): number {
  if (ip.startsWith('192.168.')) return 0;
  if (ip.startsWith('10.')) return 1;
  const second = Number(ip.split('.')[1]);
  if (ip.startsWith('172.') && second >= 16 && second <= 31) return 2;
  return 3;
}
