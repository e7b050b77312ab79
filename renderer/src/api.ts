/**
 * Where `window.quorate` comes from: the Electron preload sets it; in a browser tab opened by
 * `quorate ui` this module builds it over the host's WebSocket (`/api`), which the host accepts with
 * the HttpOnly session cookie it set when the one-time sign-in link was opened. Development without
 * an engine gets an in-memory stand-in, never in a production build.
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
  forgetSignInCode();
  if (!import.meta.env.DEV) {
    return connectWebSocket();
  }
  const { createMemoryApi } = await import('./dev/memory-api');
  const api = createMemoryApi(new URLSearchParams(location.search).get('demo') ?? 'cluster');
  window.quorate = api;
  return ok({ api, onLost: () => {} });
}

/**
 * The host redirects a sign-in link to the bare path at once; should a code (or an old `token`)
 * still be in the address bar, it leaves it and the history entry here.
 */
function forgetSignInCode(): void {
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('token')) {
    params.delete('code');
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
}

async function connectWebSocket(): Promise<Result<Connection>> {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}/api`);
  const opened = await new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true), { once: true });
    socket.addEventListener('close', () => resolve(false), { once: true });
  });
  if (!opened) {
    return err(
      'ui.connect-failed',
      'Could not connect to the Quorate engine of this page.',
      'This tab is not signed in, or `quorate ui` stopped: run `quorate ui` and open the new link it prints (each link works once, for 2 minutes).',
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
