/**
 * IPC channel names (renderer → main in CHANNELS, main → renderer in EVENTS),
 * shared by the preload and the main process. This module imports nothing:
 * the sandboxed preload bundles it.
 */
export const CHANNELS = {
  getServerChoice: 'tickline:get-server-choice',
  hostServer: 'tickline:host-server',
  listInterfaces: 'tickline:list-interfaces',
  probeServer: 'tickline:probe-server',
  connectServer: 'tickline:connect-server',
  resetServerChoice: 'tickline:reset-server-choice',
  browseServers: 'tickline:browse-servers',
  openExternal: 'tickline:open-external',
  openNewWindow: 'tickline:open-new-window',
  setUnreadCount: 'tickline:set-unread-count',
} as const;

/** Channels the main process sends on and windows only listen to. */
export const EVENTS = {
  /** The embedded server's restarts, pause and resume (`HostEvent`). */
  hostEvent: 'tickline:host-event',
  /** Servers found on the LAN (`FoundServer[]`). */
  foundServers: 'tickline:found-servers',
} as const;
