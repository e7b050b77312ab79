import type { ApiEventName, QuorateEvents, QuorateWindowApi } from '../../../engine/api/contract';

/**
 * `api.on` tied to an AbortSignal on this side of the bridge: an AbortSignal does not survive
 * Electron's contextBridge (it is not cloneable), so the signal stays here and only the returned
 * unsubscribe function is used.
 */
export function listen<E extends ApiEventName>(
  api: QuorateWindowApi,
  event: E,
  listener: (payload: QuorateEvents[E]) => void,
  signal: AbortSignal,
): void {
  if (signal.aborted) {
    return;
  }
  const off = api.on(event, listener);
  signal.addEventListener('abort', () => off(), { once: true });
}
