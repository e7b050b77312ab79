/**
 * The service's engine events, typed by the contract: parts of the service `emit`, transports
 * `subscribe` (every event, by name) and forward what the contract lists.
 */
import type { ApiEventName, QuorateEvents } from './contract';

export interface EventHub {
  emit<E extends ApiEventName>(event: E, payload: QuorateEvents[E]): void;
  /** Every event; returns the unsubscribe function. */
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export function createEventHub(onListenerError: (e: unknown) => void = () => {}): EventHub {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  return {
    emit(event, payload) {
      for (const l of [...listeners]) {
        // One broken window must not stop the engine or the other windows.
        try {
          l(event, payload);
        } catch (e) {
          onListenerError(e);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
