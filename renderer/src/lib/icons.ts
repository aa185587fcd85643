/** Names of the app's line icons (see AppIcon.vue). */
export type IconName =
  | 'send'
  | 'settings'
  | 'logout'
  | 'search'
  | 'close'
  | 'retry'
  | 'alert'
  | 'server'
  | 'monitor'
  | 'window'
  | 'back'
  | 'down'
  | 'chat'
  | 'wifi-off'
  | 'info'
  | 'users';
