/**
 * A scripted `QuorateWindowApi` for state tests: each method answers from a handler the test gives,
 * events are emitted by the test. Values go through a JSON round trip, as over the real wire.
 */
import type { ApiEventName, ApiMethodName, QuorateEvents, QuorateWindowApi } from '../../engine/api/contract';
import { createQuorateApi } from '../../engine/api/contract';
import type { Result } from '../../engine/result';
import { err } from '../../engine/result';

export interface FakeApi {
  readonly api: QuorateWindowApi;
  readonly calls: { method: string; params: unknown }[];
  emit<E extends ApiEventName>(event: E, payload: QuorateEvents[E]): void;
  listeners(event: ApiEventName): number;
}

export function fakeApi(
  handlers: Partial<Record<ApiMethodName, (params: never) => Result<unknown> | Promise<Result<unknown>>>>,
): FakeApi {
  const calls: { method: string; params: unknown }[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const api = createQuorateApi(
    async (method, params) => {
      calls.push({ method, params });
      const h = handlers[method as ApiMethodName];
      if (!h) {
        return err('test.unscripted', `no handler for ${method}`, 'script it');
      }
      return JSON.parse(JSON.stringify(await h(params as never))) as Result<unknown>;
    },
    (event, listener, options) => {
      let set = listeners.get(event);
      if (!set) {
        listeners.set(event, (set = new Set()));
      }
      set.add(listener);
      const off = (): void => void set.delete(listener);
      options?.signal?.addEventListener('abort', off, { once: true });
      return off;
    },
  );
  return {
    api,
    calls,
    emit(event, payload) {
      for (const l of [...(listeners.get(event) ?? [])]) {
        l(JSON.parse(JSON.stringify(payload)));
      }
    },
    listeners: (event) => listeners.get(event)?.size ?? 0,
  };
}
