/**
 * The preload of every Tickline window (sandboxed, context-isolated). It
 * exposes exactly the functions of `DesktopBridge` as `window.tickline`; each
 * one forwards its arguments to one IPC channel. `ipcRenderer` itself never
 * reaches the page. Bundled into one CommonJS file: sandboxed preloads cannot
 * load other local modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, EVENTS } from '../../desktop/channels';
import type {
  BridgeResult,
  DesktopBridge,
  FoundServer,
  HostEvent,
  HostInfo,
  HostOptions,
  ServerChoice,
  ServerProbe,
} from '../../protocol/desktop';

/** Forwards `channel`'s data (never the IPC event or its sender) to `listener`. */
function listen<T>(channel: string, listener: (data: T) => void): () => void {
  const forward = (_event: unknown, data: T) => listener(data);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

const api = {
  getServerChoice: (): Promise<ServerChoice | null> => ipcRenderer.invoke(CHANNELS.getServerChoice),
  hostServer: (port: number, options?: HostOptions): Promise<BridgeResult<HostInfo>> =>
    ipcRenderer.invoke(CHANNELS.hostServer, port, options ?? {}),
  listInterfaces: (): Promise<string[]> => ipcRenderer.invoke(CHANNELS.listInterfaces),
  probeServer: (address: string, advertised?: string | null): Promise<BridgeResult<ServerProbe>> =>
    ipcRenderer.invoke(CHANNELS.probeServer, address, advertised ?? null),
  connectServer: (
    address: string,
    fingerprint?: string | null,
    replacePin?: boolean,
  ): Promise<BridgeResult<{ url: string }>> =>
    ipcRenderer.invoke(CHANNELS.connectServer, address, fingerprint ?? null, replacePin === true),
  resetServerChoice: (): Promise<void> => ipcRenderer.invoke(CHANNELS.resetServerChoice),
  openExternal: (url: string): Promise<void> => ipcRenderer.invoke(CHANNELS.openExternal, url),
  openNewWindow: (): Promise<void> => ipcRenderer.invoke(CHANNELS.openNewWindow),
  setUnreadCount: (count: number): void => {
    ipcRenderer.send(CHANNELS.setUnreadCount, count);
  },
  onHostEvent: (listener: (event: HostEvent) => void): (() => void) =>
    listen(EVENTS.hostEvent, listener),
  onFoundServers: (listener: (servers: FoundServer[]) => void): (() => void) => {
    const stop = listen(EVENTS.foundServers, listener);
    void ipcRenderer.invoke(CHANNELS.browseServers, true).then(listener);
    return () => {
      stop();
      void ipcRenderer.invoke(CHANNELS.browseServers, false);
    };
  },
} satisfies DesktopBridge;

export type Api = typeof api;

contextBridge.exposeInMainWorld('tickline', api);
