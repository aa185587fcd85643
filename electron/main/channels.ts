/**
 * IPC channel names, shared by the preload and the main process. This module
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
