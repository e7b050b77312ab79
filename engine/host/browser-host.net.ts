/**
 * The browser host: the built renderer over HTTP and the API over a WebSocket, on 127.0.0.1 only.
 * Used by `quorate ui`, by the end-to-end tests, and by people who prefer a browser tab to the
 * Electron window. Each WebSocket connection gets its own RPC server over the one shared service.
 *
 * Access: `loginUrl()` carries a one-time code (short-lived, single use); opening it exchanges the
 * code for an HttpOnly, SameSite=Strict session cookie and redirects to the bare path, so the code
 * leaves the address bar at once. The WebSocket is accepted only with that cookie, from this
 * server's own origin, addressed to its own Host.
 *
 * Anyone on the machine can send it anything: every socket and WebSocket has an error handler, every
 * async handler a catch, the Host check comes before any parsing, and a fault in one connection
 * closes that connection only (`onBug` hears of it). The process never dies of a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { ApiEndpoint } from '../api/endpoint';
import { serveApi } from '../api/endpoint';
import type { Transport } from '../api/transport';
import { createWebSocketTransport } from '../api/transport.ws';
import { contentSecurityPolicy } from './csp';
import { isAllowedHost, isAllowedOrigin, LOOPBACK } from './origin';
import { readStaticFile } from './static.fs';
import { SessionKeeper } from './token';

/** The WebSocket path of the API. */
export const API_PATH = '/api';
/** The query parameter of a sign-in link. */
export const CODE_PARAM = 'code';

export interface BrowserHostOptions {
  /** TCP port; 0 (default) lets the OS choose a free one. */
  readonly port?: number;
  /** Must be 127.0.0.1 (the default); anything else is refused, never bound. */
  readonly host?: string;
  /** The built renderer (dist/renderer). */
  readonly rendererDir: string;
  readonly endpoint: ApiEndpoint;
  /** How long a sign-in code stays valid (default 2 minutes); tests shorten it. */
  readonly codeTtlMs?: number;
  /** Where bugs inside handlers and dropped connections are reported (stderr in `quorate ui`). */
  readonly onBug?: (method: string, error: unknown) => void;
}

export interface BrowserHost {
  /** A fresh sign-in link, `http://127.0.0.1:PORT/?code=…`: single use, valid for a short while. */
  loginUrl(): string;
  readonly port: number;
  /** The session cookie's name (per port: cookies do not tell ports apart). */
  readonly cookieName: string;
  /** Open API connections right now. */
  connections(): number;
  /** Closes every connection and the server. Does not dispose the endpoint. */
  close(): Promise<void>;
}

/** Starts serving; the error is `host.not-loopback`, `host.port-in-use` or `host.listen-failed`. */
export async function startBrowserHost(options: BrowserHostOptions): Promise<Result<BrowserHost>> {
  const bind = options.host ?? LOOPBACK;
  if (bind !== LOOPBACK) {
    return err(
      'host.not-loopback',
      `The browser host only listens on ${LOOPBACK}, not on ${bind}.`,
      'The API controls your machines over SSH: it must not be reachable from the network. Use an SSH tunnel to reach it from elsewhere.',
    );
  }
  const keeper = new SessionKeeper(options.codeTtlMs !== undefined ? { ttlMs: options.codeTtlMs } : {});
  const bug = (where: string, e: unknown): void => {
    try {
      options.onBug?.(where, e);
    } catch {
      // A failing reporter must not take the host down either.
    }
  };
  let port = 0;
  const cookieName = (): string => `quorate_session_${port}`;
  const csp = (): string => contentSecurityPolicy({ connect: [`ws://${LOOPBACK}:${port}`, `ws://localhost:${port}`] });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  // A handshake ws itself finds malformed: drop the socket (its error listener is already on).
  sockets.on('wsClientError', (_e: Error, socket: Duplex) => socket.destroy());
  sockets.on('error', (e) => bug('websocket server', e));

  const serveHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAllowedHost(req.headers.host, port)) {
      return plain(res, 421, 'Misdirected request: this server answers only to its loopback address.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, 'Method not allowed.');
    }
    const url = parseTarget(req.url);
    if (!url) {
      return plain(res, 400, 'Bad request target.');
    }
    if (url.searchParams.has(CODE_PARAM)) {
      const session = keeper.redeem(url.searchParams.get(CODE_PARAM));
      if (!session) {
        return plain(
          res,
          401,
          'This sign-in link was already used or has expired.\nRun `quorate ui` again and open the new link it prints (each link works once, for 2 minutes).',
        );
      }
      res.writeHead(303, {
        ...securityHeaders(csp()),
        // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
        'Set-Cookie': `${cookieName()}=${session}; Path=/; HttpOnly; SameSite=Strict`,
        Location: url.pathname,
        'Cache-Control': 'no-store',
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    const file = await readStaticFile(options.rendererDir, url.pathname);
    if (!file) {
      return plain(res, 404, 'Not found.');
    }
    res.writeHead(200, {
      ...securityHeaders(csp()),
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  const server = createServer((req, res) => {
    serveHttp(req, res).catch((e: unknown) => {
      bug(`HTTP ${req.method ?? '?'}`, e);
      if (!res.headersSent) {
        plain(res, 500, 'Internal error; see the terminal running `quorate ui`.');
      } else {
        res.destroy();
      }
    });
  });
  // Unparsable HTTP, or a client that reset: answer 400 when still possible, else just drop it.
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    if (e.code !== 'ECONNRESET' && socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });

  const attach = (ws: WebSocket): void => {
    // Frames over maxPayload, invalid UTF-8, bad opcodes: ws reports them here; close this one only.
    ws.on('error', () => ws.terminate());
    try {
      const transport = guarded(createWebSocketTransport(ws), (where, e) => {
        bug(where, e);
        ws.terminate();
      });
      serveApi(options.endpoint, transport, options.onBug ? bug : undefined);
    } catch (e) {
      bug('API connection', e);
      ws.terminate();
    }
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const refusal = !isAllowedHost(req.headers.host, port)
        ? ([421, 'Misdirected Request'] as const)
        : parseTarget(req.url)?.pathname !== API_PATH
          ? ([404, 'Not Found'] as const)
          : !isAllowedOrigin(req.headers.origin, port)
            ? ([403, 'Forbidden'] as const)
            : !keeper.isSession(cookieValue(req.headers.cookie, cookieName()))
              ? ([401, 'Unauthorized'] as const)
              : undefined;
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal[0]} ${refusal[1]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      sockets.handleUpgrade(req, socket, head, attach);
    } catch (e) {
      bug('WebSocket upgrade', e);
      socket.destroy();
    }
  });

  const listening = await new Promise<Result<number>>((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      resolve(
        e.code === 'EADDRINUSE'
          ? err(
              'host.port-in-use',
              `Port ${options.port} on ${LOOPBACK} is already in use.`,
              'Choose another with --port, or leave it out to get a free one.',
              e,
            )
          : err(
              'host.listen-failed',
              `Could not listen on ${LOOPBACK}:${options.port ?? 0}.`,
              'See the cause; try another --port.',
              e,
            ),
      );
    });
    server.listen(options.port ?? 0, LOOPBACK, () => {
      const address = server.address();
      resolve(
        typeof address === 'object' && address
          ? ok(address.port)
          : err('host.listen-failed', 'The server did not report its port.', 'Try again.'),
      );
    });
  });
  if (!listening.ok) {
    sockets.close();
    server.close();
    return listening;
  }
  port = listening.value;
  server.on('error', (e) => bug('HTTP server', e));
  server.on('connection', (socket: Socket) => {
    // Node's HTTP parser handles errors of sockets it owns; upgraded ones get theirs above. This one
    // covers the gap between the two (and costs nothing when another listener exists).
    socket.on('error', () => socket.destroy());
  });
  return ok({
    loginUrl: () => `http://${LOOPBACK}:${port}/?${CODE_PARAM}=${keeper.mint()}`,
    port,
    cookieName: cookieName(),
    connections: () => sockets.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) {
          client.terminate();
        }
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The request target as a URL, or undefined when `new URL` refuses it (`//[`, …). */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', `http://${LOOPBACK}`);
  } catch {
    return undefined;
  }
}

/** One cookie's value from a `Cookie:` header (undefined when absent or malformed). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > 8192) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** A transport whose sends and listeners cannot throw into ws or the event loop: a fault calls `fail`. */
function guarded(inner: Transport, fail: (where: string, e: unknown) => void): Transport {
  return {
    send(message) {
      try {
        inner.send(message);
      } catch (e) {
        fail('sending to the browser', e);
      }
    },
    onMessage(listener) {
      return inner.onMessage((message) => {
        try {
          listener(message);
        } catch (e) {
          fail('handling a browser message', e);
        }
      });
    },
    onClose: (listener) => inner.onClose(listener),
    close: () => inner.close(),
  };
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    // A sign-in code may be in the page URL for a moment: never send it on in a Referer.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(text + '\n');
}
