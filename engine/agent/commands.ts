/**
 * The agent's pure part (Playwright cli-daemon mould): argument parsing and request dispatch over a
 * table of handlers. No sockets, no processes: `daemon.ts` feeds decoded lines in and writes what
 * comes out; tests drive it with plain objects.
 */
import type { QuorateError, Result } from '../result';
import {
  AGENT_METHODS,
  isAgentMethod,
  parseRequest,
  type AgentMethods,
  type AgentReply,
  type ParamsOf,
  type ResultOf,
} from './protocol';

export const DEFAULT_SOCKET = '/run/quorate-agent/agent.sock';

type Plain<M extends keyof AgentMethods> = (params: ParamsOf<M>) => Promise<Result<ResultOf<M>>> | Result<ResultOf<M>>;

/** What the daemon can do; each returns a Result (expected failures are values). */
export interface AgentHandlers {
  hello: Plain<'hello'>;
  facts: Plain<'facts'>;
  clock: Plain<'clock'>;
  'probe.listen': Plain<'probe.listen'>;
  'probe.measure': Plain<'probe.measure'>;
  'journal.read': Plain<'journal.read'>;
  'alerts.configure': Plain<'alerts.configure'>;
  /** Runs until `signal` aborts; calls `emit` for each event. */
  'quorum.watch': (
    params: ParamsOf<'quorum.watch'>,
    emit: (event: AgentMethods['quorum.watch']['event']) => void,
    signal: AbortSignal,
  ) => Promise<void>;
}

function fail(id: number, code: string, message: string, hint: string): AgentReply {
  const error: QuorateError = { code, message, hint };
  return { id, error };
}

/**
 * One connection's request loop. `send` receives every reply/event; `close()` cancels the
 * connection's streams (the client went away).
 */
export function createConnection(
  handlers: AgentHandlers,
  send: (reply: AgentReply) => void,
): { receive(value: unknown): void; close(): void } {
  const streams = new Map<number, AbortController>();
  let closed = false;
  const reply = (r: AgentReply): void => {
    if (!closed) {
      send(r);
    }
  };

  async function run(id: number, method: string, params: unknown): Promise<void> {
    if (!isAgentMethod(method)) {
      reply(
        fail(
          id,
          'agent.unknown-method',
          `agent: no method "${method}"`,
          `known methods: ${Object.keys(AGENT_METHODS).join(', ')}; the agent may be older than this Quorate — re-run bootstrap to upgrade it`,
        ),
      );
      return;
    }
    const checked = AGENT_METHODS[method].validate(params);
    if (!checked.ok) {
      reply(
        fail(
          id,
          'agent.bad-params',
          `agent ${method}: ${checked.problem}`,
          'this is a bug in the caller; report it with the message above',
        ),
      );
      return;
    }
    try {
      if (method === 'cancel') {
        const target = streams.get((checked.value as ParamsOf<'cancel'>).id);
        target?.abort();
        reply({ id, result: { cancelled: target !== undefined } });
        return;
      }
      if (method === 'quorum.watch') {
        if (streams.has(id)) {
          reply(
            fail(
              id,
              'agent.duplicate-id',
              `agent: request id ${id} is already streaming`,
              'use a fresh id per request',
            ),
          );
          return;
        }
        const controller = new AbortController();
        streams.set(id, controller);
        try {
          await handlers['quorum.watch'](
            checked.value as ParamsOf<'quorum.watch'>,
            (event) => reply({ id, event }),
            controller.signal,
          );
        } finally {
          streams.delete(id);
        }
        reply({ id, result: { cancelled: true } });
        return;
      }
      const handler = handlers[method] as (p: unknown) => Promise<Result<unknown>> | Result<unknown>;
      const result = await handler(checked.value);
      reply(result.ok ? { id, result: result.value } : { id, error: result.error });
    } catch (e) {
      reply(
        fail(
          id,
          'agent.internal',
          `agent ${method} failed unexpectedly: ${(e as Error).message ?? String(e)}`,
          'this is a bug in the agent; its log is /var/log/quorate-agent.log or `journalctl -u quorate-agent`',
        ),
      );
    }
  }

  return {
    receive(value: unknown): void {
      const req = parseRequest(value);
      if (!req.ok) {
        if (req.id !== null) {
          reply(
            fail(req.id, 'agent.bad-request', `agent: ${req.problem}`, 'send {id, method, params} as one JSON line'),
          );
        }
        return;
      }
      void run(req.value.id, req.value.method, req.value.params);
    },
    close(): void {
      closed = true;
      for (const c of streams.values()) {
        c.abort();
      }
      streams.clear();
    },
  };
}

/** What the bundled program was asked to do. */
export type AgentInvocation =
  | { readonly command: 'serve'; readonly socket: string }
  | {
      readonly command: 'call';
      readonly socket: string;
      readonly method: string;
      readonly params: unknown;
      readonly timeoutMs: number;
    }
  | { readonly command: 'version' }
  | { readonly command: 'help' };

export const AGENT_USAGE = `usage: quorate-agent serve [--socket PATH]
       quorate-agent call METHOD [JSON-PARAMS] [--socket PATH] [--timeout MS]
       quorate-agent version
Listens only on a root-only unix socket (default ${DEFAULT_SOCKET}); never on TCP.`;

/** Parse the agent's argv (after `node file`). Pure; errors are messages for stderr. */
export function parseAgentArgs(
  argv: readonly string[],
): { ok: true; value: AgentInvocation } | { ok: false; problem: string } {
  const positionals: string[] = [];
  let socket = DEFAULT_SOCKET;
  let timeoutMs = 10_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--socket' || a === '--timeout') {
      const v = argv[i + 1];
      if (v === undefined) {
        return { ok: false, problem: `${a}: expected a value` };
      }
      i++;
      if (a === '--socket') {
        if (!v.startsWith('/')) {
          return { ok: false, problem: `--socket: expected an absolute path, got ${v}` };
        }
        socket = v;
      } else {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) {
          return { ok: false, problem: `--timeout: expected milliseconds, got ${v}` };
        }
        timeoutMs = n;
      }
    } else if (a === '-h' || a === '--help') {
      return { ok: true, value: { command: 'help' } };
    } else if (a.startsWith('--')) {
      return { ok: false, problem: `unknown option ${a}` };
    } else {
      positionals.push(a);
    }
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case 'serve':
      return rest.length === 0
        ? { ok: true, value: { command: 'serve', socket } }
        : { ok: false, problem: 'serve: takes no arguments' };
    case 'version':
      return { ok: true, value: { command: 'version' } };
    case 'call': {
      const [method, json] = rest;
      if (!method || rest.length > 2) {
        return { ok: false, problem: 'call: expected METHOD [JSON-PARAMS]' };
      }
      let params: unknown = {};
      if (json !== undefined) {
        try {
          params = JSON.parse(json);
        } catch (e) {
          return { ok: false, problem: `call: params are not JSON: ${(e as Error).message}` };
        }
      }
      return { ok: true, value: { command: 'call', socket, method, params, timeoutMs } };
    }
    case undefined:
      return { ok: true, value: { command: 'help' } };
    default:
      return { ok: false, problem: `unknown command ${command}` };
  }
}
