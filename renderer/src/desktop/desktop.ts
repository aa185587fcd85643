import type { DesktopBridge } from '../../../protocol/desktop';

/** The desktop shell's bridge (`window.tickline`), or undefined in the web client. */
export function desktopBridge(): DesktopBridge | undefined {
  return (globalThis as { tickline?: DesktopBridge }).tickline;
}
