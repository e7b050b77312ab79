/**
 * Which requests the browser host answers. The Host header check stops DNS rebinding (a web page on
 * evil.example resolving its name to 127.0.0.1); the Origin check stops cross-site WebSocket
 * hijacking (any page may open a WebSocket to 127.0.0.1; only our own page's origin is accepted).
 */

/** The only address the browser host binds to. */
export const LOOPBACK = '127.0.0.1';

/** `Host:` must name this server by loopback address or `localhost`, with its port. */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host === `${LOOPBACK}:${port}` || host === `localhost:${port}`;
}

/** `Origin:` of a WebSocket upgrade must be this server's own page. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return origin === `http://${LOOPBACK}:${port}` || origin === `http://localhost:${port}`;
}
