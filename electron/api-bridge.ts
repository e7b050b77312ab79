/**
 * The API between the window and the engine: one RPC server per web contents, fed only with
 * messages from our own window's main frame (VS Code's `validatedIpcMain`; Fiddle's
 * `fromWebContents` check). A message from anything else — an iframe, a page that navigated
 * elsewhere, a window we did not create — is dropped and logged.
 */
import { ipcMain } from 'electron';
import type { ApiEndpoint } from '../engine/api/endpoint';
import { serveApi } from '../engine/api/endpoint';
import { CHANNELS, createMainTransport } from './transport.electron';
import type { DisposableStore } from './disposables';
import type { Windows } from './windows';

export function setupApiBridge(endpoint: ApiEndpoint, windows: Windows, disposables: DisposableStore): void {
  const transports = new Map<number, ReturnType<typeof createMainTransport>>();
  const onMessage = (event: Electron.IpcMainEvent, message: unknown): void => {
    if (!windows.isTrustedSender(event.sender, event.senderFrame)) {
      console.error(`quorate: refused an IPC message from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return;
    }
    let transport = transports.get(event.sender.id);
    if (!transport) {
      const contents = event.sender;
      const t = createMainTransport(contents);
      transports.set(contents.id, t);
      t.onClose(() => transports.delete(contents.id));
      // A reload or navigation starts a new page: its calls must not get the old page's events.
      const onNavigation = (details: Electron.Event<Electron.WebContentsDidStartNavigationEventParams>): void => {
        if (details.isMainFrame && !details.isSameDocument) {
          t.close();
        }
      };
      contents.on('did-start-navigation', onNavigation);
      t.onClose(() => {
        if (!contents.isDestroyed()) {
          contents.off('did-start-navigation', onNavigation);
        }
      });
      serveApi(endpoint, t, (method, error) => console.error(`quorate: ${method} threw:`, error));
      transport = t;
    }
    transport.deliver(message);
  };
  ipcMain.on(CHANNELS.message, onMessage);
  disposables.add(() => {
    ipcMain.off(CHANNELS.message, onMessage);
    for (const t of transports.values()) {
      t.close();
    }
  });
}
