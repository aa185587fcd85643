/**
 * The bridge's IPC handlers: each checks that the sender is the top frame of
 * one of the app's pages, validates its arguments with the tuple schemas of
 * `protocol/desktop.ts`, and calls into `desktop/`.
 */
import {
  BrowserWindow,
  ipcMain,
  shell,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
} from 'electron';
import type { z } from 'zod';
import { isAppUrl, isSafeExternalUrl } from '../../desktop/appProtocol';
import { CHANNELS } from '../../desktop/channels';
import type { LanBrowser } from '../../desktop/lanBrowser';
import type { ServerChoiceController } from '../../desktop/serverChoice';
import { DESKTOP_ARGS as ARGS } from '../../protocol/desktop';

/** What the handlers call besides the server choice. */
export interface IpcDeps {
  choice: ServerChoiceController;
  lan: LanBrowser;
  devOrigin: string | undefined;
  createWindow: () => void;
  setUnread: (contentsId: number, count: number) => void;
  /** After host / connect / reset: the tray's items follow. */
  choiceChanged: () => void;
}

/** Registers every `ipcMain` handler of the bridge. */
export function registerIpc(deps: IpcDeps): void {
  const { choice } = deps;

  /** Only the top frame of one of our own pages may use the bridge. */
  function trustedSender(event: IpcMainInvokeEvent | IpcMainEvent): boolean {
    const frame = event.senderFrame;
    return (
      frame !== null &&
      frame === event.sender.mainFrame &&
      isAppUrl(frame.url, deps.devOrigin) &&
      BrowserWindow.fromWebContents(event.sender) !== null
    );
  }

  function handle<K extends keyof typeof ARGS>(
    name: K,
    run: (args: z.infer<(typeof ARGS)[K]>, event: IpcMainInvokeEvent) => Promise<unknown>,
    invalid?: string,
  ): void {
    ipcMain.handle(CHANNELS[name], async (event, ...raw: unknown[]) => {
      if (!trustedSender(event)) throw new Error('Tickline: IPC from an untrusted frame');
      const parsed = ARGS[name].safeParse(raw);
      if (!parsed.success) {
        if (invalid) return { ok: false, code: 'invalid', error: invalid };
        throw new Error(`Tickline: invalid arguments for ${name}`);
      }
      return run(parsed.data as z.infer<(typeof ARGS)[K]>, event);
    });
  }

  const changed = async <T>(result: Promise<T>): Promise<T> => {
    const value = await result;
    deps.choiceChanged();
    return value;
  };

  handle('getServerChoice', () => choice.getServerChoice());
  handle(
    'hostServer',
    ([port, options]) => changed(choice.hostServer(port, options)),
    'The port must be a whole number from 1 to 65535.',
  );
  handle('listInterfaces', async () => choice.listInterfaces());
  handle(
    'probeServer',
    ([address, advertised]) => choice.probeServer(address, advertised),
    'This is not a valid server address.',
  );
  handle(
    'connectServer',
    ([address, fingerprint, replace]) =>
      changed(choice.connectServer(address, fingerprint, replace)),
    'This is not a valid server address.',
  );
  handle('resetServerChoice', () => changed(choice.resetServerChoice()));
  handle('browseServers', async ([on], event) => deps.lan.watch(event.sender.id, on));
  handle('openExternal', async ([url]) => {
    if (!isSafeExternalUrl(url)) throw new Error('Tickline: only http(s) links can be opened');
    await shell.openExternal(url);
  });
  handle('openNewWindow', async () => deps.createWindow());
  ipcMain.on(CHANNELS.setUnreadCount, (event, ...raw: unknown[]) => {
    if (!trustedSender(event)) return;
    const parsed = ARGS.setUnreadCount.safeParse(raw);
    if (parsed.success) deps.setUnread(event.sender.id, parsed.data[0]);
  });
}
