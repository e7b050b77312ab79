/**
 * `Transport` over a WebSocket. Written against the small surface both the browser's `WebSocket` and
 * the `ws` package's share (`send`, `close`, `readyState`, `addEventListener`), so the browser host's
 * server side and the renderer's client side use the same code. One text frame = one JSON message.
 */
import type { Transport, WireMessage } from './transport';
import { isWireMessage } from './transport';

/** What this module needs of a WebSocket (browser `WebSocket` and `ws`'s both satisfy it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'close', listener: () => void): void;
}

const OPEN = 1;
/** Frames above this size are refused: nothing in the API is that big, and a peer sending one is broken. */
const MAX_FRAME_CHARS = 8 * 1024 * 1024;

/**
 * Wraps an open (or opening) WebSocket. Frames that are not JSON wire messages are dropped, never
 * thrown: the other side is not trusted to be well-formed.
 */
export function createWebSocketTransport(socket: WebSocketLike): Transport {
  let closed = false;
  const closeListeners = new Set<() => void>();
  const onSocketClose = (): void => {
    if (closed) {
      return;
    }
    closed = true;
    for (const listener of [...closeListeners]) {
      listener();
    }
    closeListeners.clear();
  };
  socket.addEventListener('close', onSocketClose);
  return {
    send(message: WireMessage): void {
      if (closed || socket.readyState !== OPEN) {
        return;
      }
      socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const handler = (event: { data: unknown }): void => {
        const message = decodeFrame(event.data);
        if (message) {
          listener(message);
        }
      };
      socket.addEventListener('message', handler);
      return () => socket.removeEventListener('message', handler);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close(): void {
      if (closed) {
        return;
      }
      socket.close(1000, 'closed');
      onSocketClose();
    },
  };
}

/** Parses one text frame; `undefined` for binary frames, oversized frames, bad JSON or a bad shape. */
export function decodeFrame(data: unknown): WireMessage | undefined {
  if (typeof data !== 'string' || data.length > MAX_FRAME_CHARS) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  return isWireMessage(value) ? value : undefined;
}
