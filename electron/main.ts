/**
 * Electron main, as a table of contents: each concern is set up in its own file, and everything
 * it registers is released on quit through one `DisposableStore`. Main owns the engine; windows
 * reach it only through the API bridge.
 */
import { app } from 'electron';
import { createApiEndpoint } from '../engine/api/service';
import { registerAppScheme, serveAppProtocol } from './app-protocol';
import { setupApiBridge } from './api-bridge';
import { DisposableStore } from './disposables';
import { setupNotifications } from './notifications';
import { appPaths } from './paths';
import { setupSecurity } from './security';
import { setupTray } from './tray';
import { watchFeed } from './watch-feed';
import { setupWindows } from './windows';

// One instance: a second launch focuses the first window instead of starting a second engine.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  const disposables = new DisposableStore();

  void app.whenReady().then(() => {
    const paths = appPaths();
    disposables.add(setupSecurity());
    disposables.add(serveAppProtocol(paths.rendererDir));
    const endpoint = createApiEndpoint({ home: paths.home, agentBundlePath: paths.agentBundle });
    disposables.add(() => endpoint.dispose());
    const windows = setupWindows({
      electronDir: paths.electronDir,
      ...(paths.windowIcon ? { iconPath: paths.windowIcon } : {}),
      disposables,
    });
    setupApiBridge(endpoint, windows, disposables);
    const feed = watchFeed(endpoint);
    setupNotifications(feed, windows, disposables);
    setupTray(feed, windows, paths.trayDir, disposables);
    app.on('second-instance', () => windows.show());
    // macOS: clicking the dock icon with no window open shows it again.
    app.on('activate', () => windows.show());
    windows.show();
  });

  // The window hides on close; the app keeps watching from the tray until the user quits.
  app.on('window-all-closed', () => {});
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed) {
      return;
    }
    event.preventDefault();
    void disposables.dispose().finally(() => {
      disposed = true;
      app.quit();
    });
  });
}
