import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENTS } from '../../../desktop/channels';
import type { DesktopBridge } from '../../../protocol/desktop';

const electron = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoke: vi.fn(async (..._args: unknown[]) => 'answer'),
  send: vi.fn(),
  on: vi.fn(),
  removeListener: vi.fn(),
}));

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api),
  },
  ipcRenderer: {
    invoke: electron.invoke,
    send: electron.send,
    on: electron.on,
    removeListener: electron.removeListener,
  },
}));

const FP = Array.from({ length: 32 }, () => 'AB').join(':');

describe('preload', () => {
  beforeEach(async () => {
    vi.resetModules();
    electron.exposed.clear();
    electron.invoke.mockClear();
    electron.send.mockClear();
    electron.on.mockClear();
    electron.removeListener.mockClear();
    await import('../../../electron/preload/index');
  });

  it('exposes exactly the DesktopBridge functions as window.tickline', () => {
    expect([...electron.exposed.keys()]).toEqual(['tickline']);
    const api = electron.exposed.get('tickline') as Record<string, unknown>;
    const expected: (keyof DesktopBridge)[] = [
      'connectServer',
      'getServerChoice',
      'hostServer',
      'listInterfaces',
      'onFoundServers',
      'onHostEvent',
      'openExternal',
      'openNewWindow',
      'probeServer',
      'resetServerChoice',
      'setUnreadCount',
    ];
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('forwards each call to its channel and nothing else', async () => {
    const api = electron.exposed.get('tickline') as DesktopBridge;
    await api.getServerChoice();
    await api.hostServer(7420);
    await api.hostServer(7421, { registration: 'open', address: '10.0.0.2' });
    await api.listInterfaces();
    await api.probeServer('192.168.1.2');
    await api.probeServer('192.168.1.2', FP);
    await api.connectServer('192.168.1.2');
    await api.connectServer('https://192.168.1.2:7420', FP, true);
    await api.resetServerChoice();
    await api.openExternal('https://example.com');
    await api.openNewWindow();
    api.setUnreadCount(3);
    expect(electron.invoke.mock.calls).toEqual([
      [CHANNELS.getServerChoice],
      [CHANNELS.hostServer, 7420, {}],
      [CHANNELS.hostServer, 7421, { registration: 'open', address: '10.0.0.2' }],
      [CHANNELS.listInterfaces],
      [CHANNELS.probeServer, '192.168.1.2', null],
      [CHANNELS.probeServer, '192.168.1.2', FP],
      [CHANNELS.connectServer, '192.168.1.2', null, false],
      [CHANNELS.connectServer, 'https://192.168.1.2:7420', FP, true],
      [CHANNELS.resetServerChoice],
      [CHANNELS.openExternal, 'https://example.com'],
      [CHANNELS.openNewWindow],
    ]);
    expect(electron.send.mock.calls).toEqual([[CHANNELS.setUnreadCount, 3]]);
  });

  it('passes host events to the page without the IPC event, until unsubscribed', () => {
    const api = electron.exposed.get('tickline') as DesktopBridge;
    const seen: unknown[] = [];
    const stop = api.onHostEvent((event) => seen.push(event));
    expect(electron.on).toHaveBeenCalledTimes(1);
    const [channel, forward] = electron.on.mock.calls[0] as [string, (...args: unknown[]) => void];
    expect(channel).toBe(EVENTS.hostEvent);
    const ipcEvent = { sender: { send: () => undefined }, ports: [] };
    forward(ipcEvent, { type: 'restarting', seconds: 2 });
    expect(seen).toEqual([{ type: 'restarting', seconds: 2 }]);
    stop();
    expect(electron.removeListener).toHaveBeenCalledWith(EVENTS.hostEvent, forward);
  });

  it('browses the LAN while the page listens, passing only the list', async () => {
    const api = electron.exposed.get('tickline') as DesktopBridge;
    electron.invoke.mockResolvedValueOnce([] as never);
    const seen: unknown[] = [];
    const stop = api.onFoundServers((servers) => seen.push(servers));
    expect(electron.invoke.mock.calls).toEqual([[CHANNELS.browseServers, true]]);
    const [channel, forward] = electron.on.mock.calls[0] as [string, (...args: unknown[]) => void];
    expect(channel).toBe(EVENTS.foundServers);
    await vi.waitFor(() => expect(seen).toEqual([[]]));
    const found = [
      { name: 'Office', address: '10.0.0.2:7420', url: 'https://10.0.0.2:7420', tls: true },
    ];
    forward({ sender: {} }, found);
    expect(seen).toEqual([[], found]);
    stop();
    expect(electron.removeListener).toHaveBeenCalledWith(EVENTS.foundServers, forward);
    expect(electron.invoke.mock.calls.at(-1)).toEqual([CHANNELS.browseServers, false]);
  });
});
