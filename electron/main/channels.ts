/**
 * IPC channel names (renderer → main in CHANNELS, main → renderer in EVENTS), shared by the preload and the main process. This module
 * imports nothing: the sandboxed preload bundles it.
 */
export const CHANNELS = {
  getServerChoice: 'tickline:get-server-choice',
  hostServer: 'tickline:host-server',
  connectServer: 'tickline:connect-server',
  resetServerChoice: 'tickline:reset-server-choice',
  openExternal: 'tickline:open-external',
  openNewWindow: 'tickline:open-new-window',
  setUnreadCount: 'tickline:set-unread-count',
} as const;

/** Channels the main process sends on and windows only listen to. */
export const EVENTS = {
  /** The embedded server's restarts (`HostEvent`). */
  hostEvent: 'tickline:host-event',
} as const;
