/** The Connect screen's list of servers found on the LAN: browsing only while a window looks. */
import { describe, expect, it } from 'vitest';
import { LanBrowser, toFoundServer } from '../../../desktop/lanBrowser';
import type { DiscoveredServer } from '../../../server/discovery';

const FP = Array.from({ length: 32 }, (_, i) => (0xa0 + i).toString(16).toUpperCase()).join(':');
const OFFICE: DiscoveredServer = {
  name: 'Office',
  host: '192.168.1.20',
  port: 7420,
  url: 'https://192.168.1.20:7420',
  protocol: 2,
  fingerprint: FP,
  tls: true,
};

describe('servers found on the LAN', () => {
  it('are shown with an address to fill in and the short fingerprint', () => {
    expect(toFoundServer(OFFICE)).toEqual({
      name: 'Office',
      address: '192.168.1.20:7420',
      url: 'https://192.168.1.20:7420',
      tls: true,
      fingerprint: FP,
      shortFingerprint: 'A0A1 A2A3 A4A5 A6A7',
    });
    expect(
      toFoundServer({ ...OFFICE, host: 'fd00::1', tls: false, fingerprint: undefined }),
    ).toEqual({
      name: 'Office',
      address: '[fd00::1]:7420',
      url: 'https://192.168.1.20:7420',
      tls: false,
    });
  });

  it('are browsed from the first window that looks until the last one stops', () => {
    let starts = 0;
    let stops = 0;
    let push: (servers: DiscoveredServer[]) => void = () => undefined;
    const lists: unknown[] = [];
    const lan = new LanBrowser(
      (servers) => lists.push(servers),
      (onChange) => {
        starts += 1;
        push = onChange;
        return { stop: () => (stops += 1) };
      },
    );
    expect(lan.watch(1, true)).toEqual([]);
    expect(lan.watch(2, true)).toEqual([]);
    expect(starts).toBe(1);
    push([OFFICE]);
    expect(lists).toEqual([[toFoundServer(OFFICE)]]);
    expect(lan.watch(3, true)).toEqual([toFoundServer(OFFICE)]);
    lan.watch(1, false);
    lan.watch(3, false);
    expect(stops).toBe(0);
    lan.watch(2, false);
    lan.watch(2, false);
    expect(stops).toBe(1);
    lan.watch(1, true);
    expect(starts).toBe(2);
    lan.stop();
    expect(stops).toBe(2);
  });
});
