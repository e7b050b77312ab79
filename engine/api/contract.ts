/**
 * THE contract between the window and the engine. Electron main, the preload, the browser host and
 * the renderer all derive from this file; nobody re-types it by hand (STYLE.md item 3).
 *
 * Rules for everything here:
 * - Every method is async, takes at most one plain-JSON params object, and resolves with a `Result`
 *   (expected failures are values with a namespaced `code`, a `message` and a `hint`).
 * - Every type is plain data (no classes, Dates, Maps, functions, `undefined` in arrays): values cross
 *   a WebSocket and Electron's contextBridge. Times are epoch milliseconds; durations say their unit.
 * - The wire method name is the member name (`addMachine`); `apiMethods` below holds each method's
 *   params validator, `apiEvents` the event names.
 * - Each topic lives in `contract/<topic>.ts` (its types, its `XApi` interface, its validator table and
 *   its events); this file only composes them. A new use case adds a topic file and one line per table here.
 * - A machine is named by the address it was added with (`198.18.0.11`); a node by its nodelist name.
 */
import type { Result } from '../result';
import type { AdoptApi } from './contract/adopt';
import { adoptMethods } from './contract/adopt';
import type { AlertsApi } from './contract/alerts';
import { alertsMethods } from './contract/alerts';
import type { HistoryApi } from './contract/history';
import { historyMethods } from './contract/history';
import type { HaApi, HaEvents } from './contract/ha';
import type { PveApi, PveEvents } from './contract/pve';
import { pveEvents, pveMethods } from './contract/pve';
import { haEvents, haMethods } from './contract/ha';
import type { MachinesApi, MachinesEvents } from './contract/machines';
import type { MaintenanceApi, MaintenanceEvents } from './contract/maintenance';
import { maintenanceEvents, maintenanceMethods } from './contract/maintenance';
import { machinesEvents, machinesMethods } from './contract/machines';
import type { OperationsApi, OperationsEvents } from './contract/operations';
import { operationsEvents, operationsMethods } from './contract/operations';
import type { PreflightApi } from './contract/preflight';
import { preflightMethods } from './contract/preflight';
import type { MethodTable } from './contract/table';
import type { StatusApi } from './contract/status';
import { statusMethods } from './contract/status';
import type { WatchApi, WatchEvents } from './contract/watch';
import { watchEvents, watchMethods } from './contract/watch';

export * from './contract/adopt';
export * from './contract/alerts';
export * from './contract/history';
export * from './contract/ha';
export * from './contract/pve';
export * from './contract/machines';
export * from './contract/maintenance';
export * from './contract/operations';
export * from './contract/preflight';
export * from './contract/shared';
export * from './contract/status';
export * from './contract/watch';

/** Everything the window (and the CLI) can ask of the engine. */
export interface QuorateApi
  extends
    MachinesApi,
    PreflightApi,
    OperationsApi,
    WatchApi,
    StatusApi,
    MaintenanceApi,
    HistoryApi,
    AdoptApi,
    AlertsApi,
    HaApi,
    PveApi {}

/** Event name → payload. */
export interface QuorateEvents extends MachinesEvents, OperationsEvents, WatchEvents, MaintenanceEvents {}
export interface QuorateEvents extends MachinesEvents, OperationsEvents, WatchEvents, HaEvents, PveEvents {}

export type ApiMethodName = keyof QuorateApi;
export type ApiEventName = keyof QuorateEvents;
/** The params one method takes (`undefined` for methods without). */
export type ApiParams<M extends ApiMethodName> = Parameters<QuorateApi[M]> extends [infer P] ? P : undefined;
/** The value inside a method's successful `Result`. */
export type ApiValue<M extends ApiMethodName> = Awaited<ReturnType<QuorateApi[M]>> extends Result<infer T> ? T : never;

/** What the engine side implements: one function per method, params already validated. */
export type ApiHandlers = {
  readonly [M in ApiMethodName]: [ApiParams<M>] extends [undefined]
    ? (params?: undefined) => Promise<Result<ApiValue<M>>>
    : (params: ApiParams<M>) => Promise<Result<ApiValue<M>>>;
};

export interface OnOptions {
  /** Aborting it removes the listener. */
  readonly signal?: AbortSignal;
}

/** `window.quorate`, as the preload (Electron) or the browser-host client exposes it. */
export type QuorateWindowApi = QuorateApi & {
  /** Listens to one engine event; returns the function that stops listening. */
  on<E extends ApiEventName>(event: E, listener: (payload: QuorateEvents[E]) => void, options?: OnOptions): () => void;
};

/** Method name → params validator. The RPC server refuses any method not in this table. */
export const apiMethods: MethodTable<QuorateApi> = {
  ...machinesMethods,
  ...preflightMethods,
  ...operationsMethods,
  ...watchMethods,
  ...statusMethods,
  ...maintenanceMethods,
  ...historyMethods,
  ...adoptMethods,
  ...alertsMethods,
  ...haMethods,
  ...pveMethods,
};

/** Every event the engine may push; transports forward these and drop anything else. */
export const apiEvents = [
  ...machinesEvents,
  ...operationsEvents,
  ...watchEvents,
  ...maintenanceEvents,
  ...haEvents,
  ...pveEvents,
] as const satisfies readonly ApiEventName[];

// Compile-time check that `apiEvents` lists every event of `QuorateEvents`.
type MissingEvents = Exclude<ApiEventName, (typeof apiEvents)[number]>;
const _allEventsListed: MissingEvents extends never ? true : MissingEvents = true;
void _allEventsListed;

/** The method names, in the table's order. */
export const apiMethodNames = Object.keys(apiMethods) as ApiMethodName[];

/**
 * Builds `window.quorate` from a `call` and an `on` (an RPC client, or ipcRenderer behind the
 * preload): one function per method in `apiMethods`, so the object can never drift from the contract.
 */
export function createQuorateApi(
  call: (method: string, params: unknown) => Promise<Result<unknown>>,
  on: (event: string, listener: (payload: unknown) => void, options?: OnOptions) => () => void,
): QuorateWindowApi {
  const api: Record<string, unknown> = {};
  for (const method of apiMethodNames) {
    api[method] = (params?: unknown) => call(method, params);
  }
  api.on = (event: string, listener: (payload: unknown) => void, options?: OnOptions) => {
    if (!(apiEvents as readonly string[]).includes(event)) {
      throw new TypeError(`Unknown Quorate event "${event}"`);
    }
    return on(event, listener, options);
  };
  return api as unknown as QuorateWindowApi;
}
