/**
 * The preload of every Tickline window (sandboxed, context-isolated). It
 * exposes exactly the functions of `DesktopBridge` as `window.tickline`; each
 * one forwards its arguments to one IPC channel. `ipcRenderer` itself never
 * reaches the page. Bundled into one CommonJS file: sandboxed preloads cannot
 * load other local modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type {
  BridgeResult,
  DesktopBridge,
  HostEvent,
  HostInfo,
  ServerChoice,
} from '../../renderer/src/desktop/bridge';
import { CHANNELS, EVENTS } from '../main/channels';

const api = {
  getServerChoice: (): Promise<ServerChoice | null> => ipcRenderer.invoke(CHANNELS.getServerChoice),
  hostServer: (port: number): Promise<BridgeResult<HostInfo>> =>
    ipcRenderer.invoke(CHANNELS.hostServer, port),
  connectServer: (address: string): Promise<BridgeResult<{ url: string }>> =>
    ipcRenderer.invoke(CHANNELS.connectServer, address),
  resetServerChoice: (): Promise<void> => ipcRenderer.invoke(CHANNELS.resetServerChoice),
  openExternal: (url: string): Promise<void> => ipcRenderer.invoke(CHANNELS.openExternal, url),
  openNewWindow: (): Promise<void> => ipcRenderer.invoke(CHANNELS.openNewWindow),
  setUnreadCount: (count: number): void => {
    ipcRenderer.send(CHANNELS.setUnreadCount, count);
  },
  onHostEvent: (listener: (event: HostEvent) => void): (() => void) => {
    // The page gets the event's data only, never the IPC event (or its sender).
    const forward = (_event: unknown, hostEvent: HostEvent) => listener(hostEvent);
    ipcRenderer.on(EVENTS.hostEvent, forward);
    return () => {
      ipcRenderer.removeListener(EVENTS.hostEvent, forward);
    };
  },
} satisfies DesktopBridge;

export type Api = typeof api;

contextBridge.exposeInMainWorld('tickline', api);
