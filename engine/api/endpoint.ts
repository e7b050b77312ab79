/**
 * What a transport host (Electron main, the browser host) needs to serve the API: the contract's
 * validators and event names, the service's handlers, and its event source. `service.ts` builds one
 * from the contract; hosts stay ignorant of individual methods.
 */
import type { RpcHandler, RpcServer, RpcValidator } from './rpc';
import { createRpcServer } from './rpc';
import type { Transport } from './transport';

export interface ApiEndpoint {
  readonly validators: Readonly<Record<string, RpcValidator>>;
  readonly handlers: Readonly<Record<string, RpcHandler | undefined>>;
  readonly events: readonly string[];
  /** Subscribes to engine events; returns the unsubscribe function. */
  readonly subscribe: (emit: (event: string, payload: unknown) => void) => () => void;
  /** Releases what the service holds (SSH sessions, agent streams, timers). */
  dispose(): Promise<void>;
}

/** Serves `endpoint` on one connection until the transport closes. */
export function serveApi(
  endpoint: ApiEndpoint,
  transport: Transport,
  onBug?: (method: string, error: unknown) => void,
): RpcServer {
  return createRpcServer({
    transport,
    validators: endpoint.validators,
    handlers: endpoint.handlers,
    events: endpoint.events,
    subscribe: endpoint.subscribe,
    ...(onBug ? { onBug } : {}),
  });
}
