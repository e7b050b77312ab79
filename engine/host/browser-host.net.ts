/**
 * The browser host: the built renderer over HTTP and the API over a WebSocket, on 127.0.0.1 only,
 * behind a random token. Used by `quorate ui`, by the end-to-end tests, and by people who prefer a
 * browser tab to the Electron window. Each WebSocket connection gets its own RPC server over the
 * one shared service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { ApiEndpoint } from '../api/endpoint';
import { serveApi } from '../api/endpoint';
import { createWebSocketTransport } from '../api/transport.ws';
import { contentSecurityPolicy } from './csp';
import { isAllowedHost, isAllowedOrigin, LOOPBACK } from './origin';
import { readStaticFile } from './static.fs';
import { createToken, tokensEqual } from './token';

/** The WebSocket path of the API. */
export const API_PATH = '/api';

export interface BrowserHostOptions {
  /** TCP port; 0 (default) lets the OS choose a free one. */
  readonly port?: number;
  /** Must be 127.0.0.1 (the default); anything else is refused, never bound. */
  readonly host?: string;
  /** The built renderer (dist/renderer). */
  readonly rendererDir: string;
  readonly endpoint: ApiEndpoint;
  /** Fixed token (tests); a fresh random one by default. */
  readonly token?: string;
  /** Where bugs inside handlers are reported (stderr in `quorate ui`). */
  readonly onBug?: (method: string, error: unknown) => void;
}

export interface BrowserHost {
  /** `http://127.0.0.1:PORT/?token=…`: the only URL that opens a working UI. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
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
  const token = options.token ?? createToken();
  let port = 0;
  const csp = (): string => contentSecurityPolicy({ connect: [`ws://${LOOPBACK}:${port}`, `ws://localhost:${port}`] });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  const server = createServer((req, res) => void serveHttp(req, res));

  const serveHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAllowedHost(req.headers.host, port)) {
      return plain(res, 421, 'Misdirected request: this server answers only to its loopback address.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, 'Method not allowed.');
    }
    const path = new URL(req.url ?? '/', `http://${LOOPBACK}`).pathname;
    const file = await readStaticFile(options.rendererDir, path);
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

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const refusal =
      url.pathname !== API_PATH
        ? ([404, 'Not Found'] as const)
        : !isAllowedHost(req.headers.host, port)
          ? ([421, 'Misdirected Request'] as const)
          : !isAllowedOrigin(req.headers.origin, port)
            ? ([403, 'Forbidden'] as const)
            : !tokensEqual(token, url.searchParams.get('token'))
              ? ([401, 'Unauthorized'] as const)
              : undefined;
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal[0]} ${refusal[1]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const transport = createWebSocketTransport(ws);
      serveApi(options.endpoint, transport, options.onBug);
    });
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
  return ok({
    url: `http://${LOOPBACK}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
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

function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page URL: never send it on in a Referer.
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
