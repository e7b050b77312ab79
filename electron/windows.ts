/**
 * The app's one window. Closing it hides it (the tray keeps watching the clusters); quitting from
 * the tray or the app menu really quits. Main trusts IPC only from this window's main frame.
 */
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { APP_ORIGIN, isAppUrl } from './app-protocol';
import type { DisposableStore } from './disposables';

export interface Windows {
  /** Shows (creating if needed) and focuses the window; `hash` selects a view, e.g. `#/dashboard`. */
  show(hash?: string): void;
  /** The open window, if any. */
  current(): BrowserWindow | undefined;
  /** True only for the main frame of our own window, showing our own page. */
  isTrustedSender(contents: Electron.WebContents, frame: Electron.WebFrameMain | null): boolean;
}

export interface WindowOptions {
  /** dist/electron: where preload.cjs is. */
  readonly electronDir: string;
  readonly iconPath?: string;
  readonly disposables: DisposableStore;
}

export function setupWindows(options: WindowOptions): Windows {
  let window: BrowserWindow | undefined;
  let quitting = false;
  const onBeforeQuit = (): void => void (quitting = true);
  app.on('before-quit', onBeforeQuit);
  options.disposables.add(() => void app.off('before-quit', onBeforeQuit));

  const create = (hash = ''): BrowserWindow => {
    const w = new BrowserWindow({
      width: 1280,
      height: 800,
      minWidth: 720,
      minHeight: 480,
      show: false,
      title: 'Quorate',
      ...(options.iconPath ? { icon: options.iconPath } : {}),
      webPreferences: {
        preload: join(options.electronDir, 'preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    w.once('ready-to-show', () => w.show());
    w.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        w.hide();
      }
    });
    w.on('closed', () => {
      if (window === w) {
        window = undefined;
      }
    });
    void w.loadURL(`${APP_ORIGIN}/index.html${hash}`);
    return w;
  };

  return {
    show(hash) {
      if (!window) {
        window = create(hash);
      } else if (hash) {
        // Same-document navigation: the renderer's router follows `hashchange`; nothing reloads.
        void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`);
      }
      if (window.isMinimized()) {
        window.restore();
      }
      window.show();
      window.focus();
    },
    current: () => window,
    isTrustedSender(contents, frame) {
      return (
        window !== undefined &&
        !window.isDestroyed() &&
        contents === window.webContents &&
        frame !== null &&
        frame === contents.mainFrame &&
        isAppUrl(frame.url)
      );
    },
  };
}
