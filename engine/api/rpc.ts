/**
 * Calls, results and events over any `Transport` (VS Code's ProxyChannel, without the Proxy).
 * The server validates every call's params against the contract's validators table before the
 * engine sees them; the client rebuilds errors from plain fields by `code`, never by `instanceof`.
 * Both sides are driven by the contract's method and event lists, so nothing here is typed by hand.
 */
import type { QuorateError, Result } from '../result';
import { err } from '../result';
import { isDamagedFileError } from '../store/damaged';
import type { CallMessage, Transport, WireMessage } from './transport';

/** A method as the server runs it: one params value in, one `Result` out. */
export type RpcHandler = (params: unknown) => Promise<Result<unknown>>;

/** Checks one method's params; the error message names the path (`params.machines[2].port: …`). */
export type RpcValidator = (params: unknown) => Result<unknown>;

export interface RpcServerOptions {
  readonly transport: Transport;
  /** Method name → validator. A method missing here is refused as unknown, whatever `handlers` holds. */
  readonly validators: Readonly<Record<string, RpcValidator>>;
  /** Method name → implementation. */
  readonly handlers: Readonly<Record<string, RpcHandler | undefined>>;
  /** Event names the server may forward (the contract's event list); others are dropped. */
  readonly events: readonly string[];
  /** Engine events to forward: called once with an emitter; returns the unsubscribe function. */
  readonly subscribe?: (emit: (event: string, payload: unknown) => void) => () => void;
  /** Where bugs (a handler that threw) are reported; the caller gets `api.internal`. */
  readonly onBug?: (method: string, error: unknown) => void;
}

export interface RpcServer {
  /** Stops serving: no more results or events are sent; the transport is left open. */
  dispose(): void;
}

/** Serves calls arriving on `transport` until it closes or `dispose()` is called. */
export function createRpcServer(options: RpcServerOptions): RpcServer {
  const { transport, validators, handlers } = options;
  const eventNames = new Set(options.events);
  let disposed = false;
  const send = (message: WireMessage): void => {
    if (!disposed) {
      transport.send(message);
    }
  };
  const stopEvents = options.subscribe?.((event, payload) => {
    if (eventNames.has(event)) {
      send({ kind: 'event', event, payload });
    }
  });
  const handle = async (call: CallMessage): Promise<void> => {
    const result = await runCall(call, validators, handlers, options.onBug);
    send({ kind: 'result', id: call.id, result });
  };
  const stopMessages = transport.onMessage((message) => {
    if (message.kind === 'call') {
      void handle(message);
    }
  });
  const dispose = (): void => {
    if (disposed) {
      return;
    }
    disposed = true;
    stopMessages();
    stopEvents?.();
    stopClose();
  };
  const stopClose = transport.onClose(dispose);
  return { dispose };
}

async function runCall(
  call: CallMessage,
  validators: Readonly<Record<string, RpcValidator>>,
  handlers: Readonly<Record<string, RpcHandler | undefined>>,
  onBug: RpcServerOptions['onBug'],
): Promise<Result<unknown>> {
  // Own-property lookups only: a method named "constructor" or "__proto__" must not reach Object.prototype.
  const validate = Object.hasOwn(validators, call.method) ? validators[call.method] : undefined;
  const handler = Object.hasOwn(handlers, call.method) ? handlers[call.method] : undefined;
  if (!validate || !handler) {
    return err(
      'api.unknown-method',
      `The engine has no API method "${call.method}".`,
      'The window and the engine are from different Quorate versions: restart Quorate.',
    );
  }
  const checked = validate(call.params);
  if (!checked.ok) {
    return checked;
  }
  try {
    const result = await handler(checked.value);
    return isResult(result) ? result : bug(call.method, onBug, new Error('handler returned a non-Result value'));
  } catch (e) {
    return bug(call.method, onBug, e);
  }
}

function bug(method: string, onBug: RpcServerOptions['onBug'], e: unknown): Result<never> {
  // A state file that cannot be read is the user's to repair, not a bug: say which and how.
  if (isDamagedFileError(e)) {
    return err(e.code, e.message, e.hint);
  }
  onBug?.(method, e);
  return err(
    'api.internal',
    `${method} failed inside the engine.`,
    'This is a bug in Quorate: please report it with the log. Nothing was retried.',
    e,
  );
}

function isResult(value: unknown): value is Result<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

export interface OnOptions {
  /** Aborting it removes the listener. */
  readonly signal?: AbortSignal;
}

export interface RpcClient {
  /** Calls `method` with `params`; resolves with its `Result`, or `api.disconnected` if the channel closes first. */
  call(method: string, params: unknown): Promise<Result<unknown>>;
  /** Listens to one engine event; returns the function that stops listening. */
  on(event: string, listener: (payload: unknown) => void, options?: OnOptions): () => void;
  /** Resolves pending calls with `api.disconnected` and stops listening. Does not close the transport. */
  dispose(): void;
}

/** The calling side: used by the preload and by the renderer in a browser tab. */
export function createRpcClient(transport: Transport): RpcClient {
  let nextId = 1;
  let disposed = false;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const stopMessages = transport.onMessage((message) => {
    if (message.kind === 'result') {
      const resolve = pending.get(message.id);
      if (!resolve) {
        return;
      }
      pending.delete(message.id);
      resolve(rebuildResult(message.result));
    } else if (message.kind === 'event') {
      for (const listener of [...(listeners.get(message.event) ?? [])]) {
        listener(message.payload);
      }
    }
  });
  const dispose = (): void => {
    if (disposed) {
      return;
    }
    disposed = true;
    stopMessages();
    stopClose();
    for (const resolve of pending.values()) {
      resolve(disconnected());
    }
    pending.clear();
    listeners.clear();
  };
  const stopClose = transport.onClose(dispose);
  return {
    call(method, params) {
      if (disposed) {
        return Promise.resolve(disconnected());
      }
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        transport.send({ kind: 'call', id, method, params });
      });
    },
    on(event, listener, options) {
      if (disposed || options?.signal?.aborted) {
        return () => {};
      }
      let set = listeners.get(event);
      if (!set) {
        listeners.set(event, (set = new Set()));
      }
      // Wrap so that the same function registered twice is two subscriptions, each removable.
      const entry = (payload: unknown): void => listener(payload);
      set.add(entry);
      const off = (): void => {
        set.delete(entry);
        options?.signal?.removeEventListener('abort', off);
      };
      options?.signal?.addEventListener('abort', off, { once: true });
      return off;
    },
    dispose,
  };
}

function disconnected(): Result<never> {
  return err(
    'api.disconnected',
    'The connection to the Quorate engine closed before it answered.',
    'Reload the window; if the engine was stopped (quorate ui exited), start it again.',
  );
}

/**
 * Rebuilds a `Result` that crossed a wire: only the known fields, only strings, so a confused or
 * hostile peer cannot smuggle getters, prototypes or huge objects into the UI's error display.
 */
export function rebuildResult(raw: unknown): Result<unknown> {
  if (typeof raw !== 'object' || raw === null) {
    return badReply();
  }
  const r = raw as { ok?: unknown; value?: unknown; error?: unknown };
  if (r.ok === true) {
    return { ok: true, value: r.value };
  }
  if (r.ok !== false || typeof r.error !== 'object' || r.error === null) {
    return badReply();
  }
  return { ok: false, error: rebuildError(r.error) };
}

/** A `QuorateError` from plain fields, by `code`; missing fields get honest defaults. */
export function rebuildError(raw: unknown): QuorateError {
  const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const code = text(e.code) ?? 'api.bad-reply';
  const message = text(e.message) ?? `The engine reported an error (${code}) without a message.`;
  const hint = text(e.hint) ?? 'See the log for details.';
  const cause = text(e.cause);
  return cause === undefined ? { code, message, hint } : { code, message, hint, cause };
}

function badReply(): Result<never> {
  return err(
    'api.bad-reply',
    'The engine sent a reply Quorate could not read.',
    'The window and the engine are from different Quorate versions: restart Quorate.',
  );
}
