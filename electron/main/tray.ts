/** The tray icon (show, new window, pause/resume hosting, quit) and the application menu. */
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import trayIconPath from '../../build/tray.png?asset';
import { badgeText, trayTooltip } from '../../desktop/unread';

/** What the tray's items do. */
export interface TrayActions {
  show: () => void;
  newWindow: () => void;
  pause: () => void;
  resume: () => void;
}

/** The tray icon, if the desktop has a status area. */
export class AppTray {
  private tray: Tray | undefined;

  constructor(private readonly actions: TrayActions) {
    try {
      this.tray = new Tray(nativeImage.createFromPath(trayIconPath));
    } catch (error) {
      // Some Linux desktops have no status area; the app works without it.
      console.warn('Tickline: no tray icon:', error);
      return;
    }
    this.tray.on('click', actions.show);
    this.setHosting('off');
  }

  /** Shows "Pause hosting" while hosting, "Resume hosting" while paused. */
  setHosting(state: 'off' | 'on' | 'paused'): void {
    const hostItems: MenuItemConstructorOptions[] =
      state === 'on'
        ? [{ id: 'pause-hosting', label: 'Pause hosting', click: this.actions.pause }]
        : state === 'paused'
          ? [{ id: 'resume-hosting', label: 'Resume hosting', click: this.actions.resume }]
          : [];
    this.tray?.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Tickline', click: this.actions.show },
        { label: 'New Window', click: this.actions.newWindow },
        ...(hostItems.length > 0 ? [{ type: 'separator' as const }, ...hostItems] : []),
        { type: 'separator' },
        { label: 'Quit Tickline', role: 'quit' },
      ]),
    );
  }

  /** Shows the unread total in the tooltip (and the title on macOS). */
  setUnread(total: number): void {
    if (!this.tray) return;
    this.tray.setToolTip(trayTooltip(total));
    if (process.platform === 'darwin') this.tray.setTitle(badgeText(total));
  }
}

/** File (New Window, Close, Quit), Edit, View and Window menus. */
export function createMenu(newWindow: () => void): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          id: 'new-window',
          label: 'New Window',
          accelerator: 'CmdOrCtrl+Shift+N',
          click: newWindow,
        },
        { type: 'separator' },
        { role: 'close' },
        ...(isMac ? [] : [{ role: 'quit' as const }]),
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
