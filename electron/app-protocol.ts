/**
 * The renderer is loaded from `quorate://app/`, served by main from dist/renderer, never from
 * file:// (which would give every page the whole disk as its origin) and never from the network.
 * Every response carries the same strict CSP as the browser host.
 * (https://www.electronjs.org/docs/latest/tutorial/security#18-avoid-usage-of-the-file-protocol-and-prefer-usage-of-custom-protocols)
 */
import { protocol } from 'electron';
import { contentSecurityPolicy } from '../engine/host/csp';
import { readStaticFile } from '../engine/host/static.fs';

export const APP_SCHEME = 'quorate';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Must run before `app.whenReady()`: a standard, secure scheme behaves like https for the page. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves dist/renderer on `quorate://app/`; returns the function that stops serving. */
export function serveAppProtocol(rendererDir: string): () => void {
  const csp = contentSecurityPolicy();
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app' || request.method !== 'GET') {
      return new Response('Not found', { status: 404 });
    }
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) {
      return new Response('Not found', { status: 404 });
    }
    return new Response(new Uint8Array(file.body), {
      status: 200,
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });
  return () => protocol.unhandle(APP_SCHEME);
}

/** Whether `url` is one of the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'app';
  } catch {
    return false;
  }
}
