/**
 * What the tray and the native notifications need from the engine, taken from the same events the
 * windows get (`onDidChangeQuorum`, `onDidNotify`), so main shows exactly what the renderer shows.
 */
import type { HealthState, Notice, QuorumChange } from '../engine/api/contract';
import type { ApiEndpoint } from '../engine/api/endpoint';

export interface WatchFeed {
  onHealth(listener: (health: { readonly cluster: string; readonly state: HealthState }) => void): () => void;
  onNotice(listener: (notice: Notice) => void): () => void;
}

export function watchFeed(endpoint: ApiEndpoint): WatchFeed {
  return {
    onHealth: (listener) =>
      endpoint.subscribe((event, payload) => {
        if (event !== 'onDidChangeQuorum') {
          return;
        }
        const change = payload as QuorumChange;
        listener({ cluster: change.cluster, state: change.status.state });
      }),
    onNotice: (listener) =>
      endpoint.subscribe((event, payload) => {
        if (event === 'onDidNotify') {
          listener(payload as Notice);
        }
      }),
  };
}
