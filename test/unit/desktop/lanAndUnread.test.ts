import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../desktop/channels';
import { bindAddress, interfaceChoices, lanAddresses, LOOPBACK } from '../../../desktop/lan';
import { isAllowedPermission, nextWindowNumber, partitionFor } from '../../../desktop/windows';
import { DESKTOP_ARGS as ARGS } from '../../../protocol/desktop';
import { badgeText, trayTooltip, UnreadCounts } from '../../../desktop/unread';

function info(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  return {
    address,
    family,
    internal,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

describe('lanAddresses', () => {
  it('lists non-internal IPv4 addresses, private ranges first, without duplicates', () => {
    const interfaces = {
      lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
      eth0: [info('203.0.113.7', 'IPv4'), info('fe80::1', 'IPv6')],
      wlan0: [info('192.168.1.20', 'IPv4'), info('169.254.3.3', 'IPv4')],
      docker0: [info('172.17.0.1', 'IPv4')],
      vpn: [info('10.8.0.2', 'IPv4'), info('192.168.1.20', 'IPv4')],
      none: undefined,
    };
    expect(lanAddresses(interfaces, 7420)).toEqual([
      'http://192.168.1.20:7420',
      'http://10.8.0.2:7420',
      'http://172.17.0.1:7420',
      'http://203.0.113.7:7420',
    ]);
  });

  it('gives https addresses for a TLS server', () => {
    expect(lanAddresses({ eth0: [info('10.1.2.3', 'IPv4')] }, 7420, 'https')).toEqual([
      'https://10.1.2.3:7420',
    ]);
  });

  it('is empty without a network', () => {
    expect(lanAddresses({ lo: [info('127.0.0.1', 'IPv4', true)] }, 7420)).toEqual([]);
  });
});

describe('UnreadCounts', () => {
  it('sums the windows and forgets closed ones', () => {
    const counts = new UnreadCounts();
    expect(counts.total()).toBe(0);
    expect(counts.set(1, 3)).toBe(3);
    expect(counts.set(2, 4)).toBe(7);
    expect(counts.set(1, 1)).toBe(5);
    expect(counts.set(2, 0)).toBe(1);
    expect(counts.remove(1)).toBe(0);
    expect(counts.remove(42)).toBe(0);
  });

  it('formats the badge and tooltip', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(120)).toBe('99+');
    expect(trayTooltip(0)).toBe('Tickline');
    expect(trayTooltip(1)).toBe('Tickline — 1 unread message');
    expect(trayTooltip(5)).toBe('Tickline — 5 unread messages');
  });
});

describe('the interface the host binds', () => {
  const interfaces = {
    lo: [info('127.0.0.1', 'IPv4', true)],
    eth0: [info('203.0.113.7', 'IPv4')],
    wlan0: [info('10.0.0.9', 'IPv4'), info('192.168.1.20', 'IPv4')],
  };

  it('is, by default, the private address in use, never every interface', () => {
    expect(interfaceChoices(interfaces)).toEqual(['192.168.1.20', '10.0.0.9', '203.0.113.7']);
    expect(bindAddress('auto', interfaces)).toBe('192.168.1.20');
    expect(bindAddress('auto', { eth0: [info('203.0.113.7', 'IPv4')] })).toBe(LOOPBACK);
    expect(bindAddress('auto', {})).toBe(LOOPBACK);
  });

  it('is the chosen one while it exists, else loopback (not another network)', () => {
    expect(bindAddress('10.0.0.9', interfaces)).toBe('10.0.0.9');
    expect(bindAddress('10.9.9.9', interfaces)).toBe(LOOPBACK);
    expect(bindAddress('0.0.0.0', interfaces)).toBe(LOOPBACK);
  });
});

describe('windows and IPC arguments', () => {
  it('gives each window its own persistent partition, reusing freed numbers', () => {
    expect(partitionFor(1)).toBe('persist:tickline-window-1');
    expect(nextWindowNumber([])).toBe(1);
    expect(nextWindowNumber([1, 2])).toBe(3);
    expect(nextWindowNumber([2, 3])).toBe(1);
    expect(nextWindowNumber([1, 3])).toBe(2);
  });

  it('has a schema for every channel', () => {
    expect(Object.keys(ARGS).sort()).toEqual(Object.keys(CHANNELS).sort());
    expect(new Set(Object.values(CHANNELS)).size).toBe(Object.keys(CHANNELS).length);
  });

  it('validates arguments', () => {
    expect(ARGS.hostServer.safeParse([7420, {}]).success).toBe(true);
    const options = { registration: 'open', address: '192.168.1.2' };
    expect(ARGS.hostServer.safeParse([7420, options]).success).toBe(true);
    for (const bad of [
      [0, {}],
      [65536, {}],
      [1.5, {}],
      ['7420', {}],
      [],
      [7420, 1],
      [7420, { registration: 'closed' }],
      [7420, { address: '0.0.0.0/0' }],
      [7420, { address: 'example.com' }],
    ]) {
      expect(ARGS.hostServer.safeParse(bad).success).toBe(false);
    }
    const fp = Array.from({ length: 32 }, () => 'AB').join(':');
    expect(ARGS.connectServer.safeParse(['192.168.1.2', null, false]).success).toBe(true);
    expect(ARGS.connectServer.safeParse(['https://h:1', fp, true]).success).toBe(true);
    expect(ARGS.connectServer.safeParse(['https://h:1', 'ab:cd', false]).success).toBe(false);
    expect(ARGS.connectServer.safeParse(['https://h:1', fp.toLowerCase(), false]).success).toBe(
      false,
    );
    expect(ARGS.connectServer.safeParse(['192.168.1.2']).success).toBe(false);
    expect(ARGS.connectServer.safeParse([{ toString: () => 'x' }, null, false]).success).toBe(
      false,
    );
    expect(ARGS.connectServer.safeParse(['x'.repeat(5000), null, false]).success).toBe(false);
    expect(ARGS.probeServer.safeParse(['h', null]).success).toBe(true);
    expect(ARGS.probeServer.safeParse(['h', 'nope']).success).toBe(false);
    expect(ARGS.browseServers.safeParse([true]).success).toBe(true);
    expect(ARGS.browseServers.safeParse(['yes']).success).toBe(false);
    expect(ARGS.setUnreadCount.safeParse([3]).success).toBe(true);
    expect(ARGS.setUnreadCount.safeParse([-1]).success).toBe(false);
    expect(ARGS.setUnreadCount.safeParse([Number.NaN]).success).toBe(false);
    expect(ARGS.getServerChoice.safeParse([]).success).toBe(true);
    expect(ARGS.getServerChoice.safeParse(['x']).success).toBe(false);
  });

  it('grants only a few permissions, and only to the app', () => {
    expect(isAllowedPermission('notifications', 'app://tickline/index.html')).toBe(true);
    expect(isAllowedPermission('media', 'app://tickline/index.html')).toBe(false);
    expect(isAllowedPermission('notifications', 'https://evil.example/')).toBe(false);
  });
});
