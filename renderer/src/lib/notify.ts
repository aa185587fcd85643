/** Whether this environment has the Notification API. */
export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

/** Asks for permission once (call from a user gesture); returns the current permission. */
export async function requestNotificationPermission(): Promise<
  NotificationPermission | 'unsupported'
> {
  if (!notificationsSupported()) return 'unsupported';
  if (Notification.permission !== 'default') return Notification.permission;
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Whether desktop notifications are supported and allowed. */
export function notificationsPermitted(): boolean {
  return notificationsSupported() && Notification.permission === 'granted';
}

/**
 * Shows a desktop notification when allowed and the window is not focused;
 * returns whether one was shown. `silent`: no system sound (the app plays its own).
 */
export function notify(
  title: string,
  body: string,
  tag: string,
  onClick: () => void,
  silent = false,
): boolean {
  if (!notificationsPermitted()) return false;
  if (document.visibilityState === 'visible' && document.hasFocus()) return false;
  try {
    const n = new Notification(title, { body, tag, silent });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
    return true;
  } catch {
    // Some platforms only allow notifications from a service worker.
    return false;
  }
}
