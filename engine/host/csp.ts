/**
 * The Content-Security-Policy of every renderer page, in Electron and in the browser host: scripts
 * and styles only from the app itself, no inline script, no eval, nothing remote, no framing.
 * (https://www.electronjs.org/docs/latest/tutorial/security#7-define-a-content-security-policy)
 */

export interface CspOptions {
  /** Extra `connect-src` sources, e.g. the browser host's `ws://127.0.0.1:PORT`. */
  readonly connect?: readonly string[];
}

/** The header value. */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ['connect-src', "'self'", ...(options.connect ?? [])].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
