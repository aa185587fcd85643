import { playBeep } from './beep';
import { notificationsPermitted, notify } from './notify';

/** One incoming message to alert about. */
export interface Incoming {
  /** The notification's title: the sender's shown name. */
  title: string;
  /** The message text (shown only with previews on). */
  body: string;
  /** The notification tag (one per message). */
  tag: string;
  /** Opens the message's conversation. */
  onClick: () => void;
}

/** The person's choices that shape the alert. */
export interface AlertChoices {
  /** The conversation is muted: no notification, no sound. */
  muted: boolean;
  /** Show the message text in the notification. */
  preview: boolean;
  /** Play a sound. */
  sound: boolean;
  /** The text shown instead of the message with previews off ("New message from NAME"). */
  hiddenBody: string;
}

/**
 * Alerts about an incoming message as the choices say: a desktop
 * notification (with or without the text) when the window is not focused,
 * and a beep with it — or, when notifications are not permitted, a beep
 * alone while the window is hidden. A muted conversation gets neither.
 */
export function alertIncoming(m: Incoming, choices: AlertChoices): void {
  if (choices.muted) return;
  const body = choices.preview ? m.body : choices.hiddenBody;
  // Silent: the only sound is the app's own beep, and only when chosen.
  const shown = notify(m.title, body, m.tag, m.onClick, true);
  const hiddenUnnotified = !notificationsPermitted() && document.visibilityState === 'hidden';
  if (choices.sound && (shown || hiddenUnnotified)) playBeep();
}
