import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENTS } from '../../../electron/main/channels';
import type { DesktopBridge } from '../../../renderer/src/desktop/bridge';

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
      'onHostEvent',
      'openExternal',
      'openNewWindow',
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
    await api.connectServer('192.168.1.2');
    await api.resetServerChoice();
    await api.openExternal('https://example.com');
    await api.openNewWindow();
    api.setUnreadCount(3);
    expect(electron.invoke.mock.calls).toEqual([
      [CHANNELS.getServerChoice],
      [CHANNELS.hostServer, 7420],
      [CHANNELS.connectServer, '192.168.1.2'],
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
});
