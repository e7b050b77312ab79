/**
 * Electron's security checklist, applied to every web contents the app creates
 * (https://www.electronjs.org/docs/latest/tutorial/security): no navigation away from the app, no
 * new windows, no <webview>, no permissions, and no request to anything but the app's own scheme
 * (and DevTools) — the renderer has no business on the network; the engine in main does the talking.
 */
import { app, session } from 'electron';
import { APP_SCHEME, isAppUrl } from './app-protocol';

/** Call before any window is created; returns the function that removes the listener. */
export function setupSecurity(): () => void {
  const onContents = (_event: Electron.Event, contents: Electron.WebContents): void => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) {
        event.preventDefault();
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) {
        event.preventDefault();
      }
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  };
  app.on('web-contents-created', onContents);
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const scheme = details.url.slice(0, details.url.indexOf(':'));
    callback({ cancel: !(scheme === APP_SCHEME || scheme === 'devtools' || scheme === 'data') });
  });
  return () => app.off('web-contents-created', onContents);
}
