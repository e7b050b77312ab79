/**
 * Where `window.quorate` comes from: the Electron preload sets it; in a browser tab opened by
 * `quorate ui` this module builds it over the host's WebSocket (`/api?token=…`, the token from the
 * page URL). Development without an engine gets an in-memory stand-in, never in a production build.
 */
import type { QuorateWindowApi } from '../../engine/api/contract';
import { createQuorateApi } from '../../engine/api/contract';
import { createRpcClient } from '../../engine/api/rpc';
import { createWebSocketTransport } from '../../engine/api/transport.ws';
import type { Result } from '../../engine/result';
import { err, ok } from '../../engine/result';

export interface Connection {
  readonly api: QuorateWindowApi;
  /** Called when the engine connection closes (browser tab only; Electron's lives as long as the window). */
  onLost(listener: () => void): void;
}

/** Finds or builds the API; never throws. */
export async function connectApi(): Promise<Result<Connection>> {
  if (window.quorate) {
    return ok({ api: window.quorate, onLost: () => {} });
  }
  const token = new URLSearchParams(location.search).get('token');
  if (token) {
    return connectWebSocket(token);
  }
  if (import.meta.env.DEV) {
    const { createMemoryApi } = await import('./dev/memory-api');
    const api = createMemoryApi(new URLSearchParams(location.search).get('demo') ?? 'cluster');
    window.quorate = api;
    return ok({ api, onLost: () => {} });
  }
  return err(
    'ui.no-engine',
    'This page is not connected to a Quorate engine.',
    'Open Quorate from its window, or run `quorate ui` and open the URL it prints (it carries the access token).',
  );
}

async function connectWebSocket(token: string): Promise<Result<Connection>> {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}/api?token=${encodeURIComponent(token)}`);
  const opened = await new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true), { once: true });
    socket.addEventListener('close', () => resolve(false), { once: true });
  });
  if (!opened) {
    return err(
      'ui.connect-failed',
      'Could not connect to the Quorate engine of this page.',
      'The token may be stale or `quorate ui` may have stopped: start it again and open the new URL it prints.',
    );
  }
  const transport = createWebSocketTransport(socket);
  const client = createRpcClient(transport);
  const api = createQuorateApi(client.call, client.on);
  return ok({
    api,
    onLost: (listener) => {
      transport.onClose(listener);
    },
  });
}
