/**
 * The seam every UI ↔ engine channel goes through (VS Code's `IMessagePassingProtocol`): a transport
 * only moves plain JSON-safe messages; `rpc.ts` gives them meaning. Implementations: the in-memory
 * pair below (tests), `transport.ws.ts` (browser host), `electron/transport.electron.ts` (IPC).
 */
import type { QuorateError, Result } from '../result';

/** A request: `id` is unique per client and echoed by the result. */
export interface CallMessage {
  readonly kind: 'call';
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
}

/** The answer to one call. Expected failures and transport failures alike are `Result` errors. */
export interface ResultMessage {
  readonly kind: 'result';
  readonly id: number;
  readonly result: Result<unknown, QuorateError>;
}

/** An engine event pushed to every connected client (`onDidChangeQuorum`, …). */
export interface EventMessage {
  readonly kind: 'event';
  readonly event: string;
  readonly payload: unknown;
}

export type WireMessage = CallMessage | ResultMessage | EventMessage;

export interface Transport {
  /** Queue one message to the other side. Never throws for a closed peer: the message is dropped. */
  send(message: WireMessage): void;
  /** Listen for messages from the other side; returns the function that stops listening. */
  onMessage(listener: (message: WireMessage) => void): () => void;
  /** Listen for the channel closing (peer gone); returns the function that stops listening. */
  onClose(listener: () => void): () => void;
  /** Close this side; both sides' `onClose` listeners run. Idempotent. */
  close(): void;
}

/**
 * Two connected in-memory transports. Delivery is asynchronous (a microtask) and goes through a
 * JSON round trip, as over the WebSocket, so tests catch values that would not survive the wire.
 */
export function createTransportPair(): [Transport, Transport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryEnd implements Transport {
  peer: MemoryEnd | undefined;
  #closed = false;
  readonly #messageListeners = new Set<(message: WireMessage) => void>();
  readonly #closeListeners = new Set<() => void>();

  send(message: WireMessage): void {
    if (this.#closed) {
      return;
    }
    const text = JSON.stringify(message);
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(JSON.parse(text) as WireMessage));
  }

  deliver(message: WireMessage): void {
    if (this.#closed) {
      return;
    }
    for (const listener of [...this.#messageListeners]) {
      listener(message);
    }
  }

  onMessage(listener: (message: WireMessage) => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const listener of [...this.#closeListeners]) {
      listener();
    }
    this.#messageListeners.clear();
    this.#closeListeners.clear();
    this.peer?.close();
  }
}

/** Checks the shape of something that arrived over a wire; anything else is dropped by receivers. */
export function isWireMessage(value: unknown): value is WireMessage {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const m = value as Record<string, unknown>;
  switch (m.kind) {
    case 'call':
      return Number.isSafeInteger(m.id) && typeof m.method === 'string';
    case 'result':
      return Number.isSafeInteger(m.id) && typeof m.result === 'object' && m.result !== null;
    case 'event':
      return typeof m.event === 'string';
    default:
      return false;
  }
}
