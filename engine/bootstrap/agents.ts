/**
 * Talking to installed agents from the desktop: open a client over the SSH session's stream-local
 * forward (root-only socket ⇒ root session), or — for sessions that cannot forward (a sudo user) —
 * one call at a time through `quorate-agent call` run with sudo. Plus the two-agent probe.
 */
import { AgentClient } from '../agent/client';
import type { AgentMethod, ParamsOf, ProbeMeasureResult, ResultOf } from '../agent/protocol';
import { err, ok, type Result } from '../result';
import type { AgentHost } from './executor';
import { AGENT_SOCKET_PATH, agentCallCommand } from './scripts';

/** What callers need from an agent connection (AgentClient, or the one-shot fallback). */
export interface AgentCaller {
  call<M extends Exclude<AgentMethod, 'quorum.watch'>>(
    method: M,
    params: ParamsOf<M>,
    options?: { timeoutMs?: number },
  ): Promise<Result<ResultOf<M>>>;
  close(): void;
}

/** One call per command: `node quorate-agent.cjs call METHOD JSON` on the machine, through the runner. */
class RunnerCaller implements AgentCaller {
  readonly #host: AgentHost;
  constructor(host: AgentHost) {
    this.#host = host;
  }

  async call<M extends Exclude<AgentMethod, 'quorum.watch'>>(
    method: M,
    params: ParamsOf<M>,
    options: { timeoutMs?: number } = {},
  ): Promise<Result<ResultOf<M>>> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const command = agentCallCommand(method, params, timeoutMs);
    const r = await this.#host.run(command, { sudo: true, timeoutMs: timeoutMs + 10_000 });
    if (!r.ok) {
      return r;
    }
    const line = r.value.stdout.trim().split('\n').pop() ?? '';
    try {
      const reply = JSON.parse(line) as {
        result?: ResultOf<M>;
        error?: { code: string; message: string; hint?: string };
      };
      if (reply.error) {
        return {
          ok: false,
          error: { code: reply.error.code, message: reply.error.message, hint: reply.error.hint ?? '' },
        };
      }
      if ('result' in reply) {
        return ok(reply.result as ResultOf<M>);
      }
    } catch {
      // fall through: not a reply
    }
    return err(
      'agent.unreachable',
      `the agent on ${this.#host.label} did not answer ${method}`,
      'install or start it with: quorate bootstrap ADDR',
      r.value.stderr.trim() || line,
    );
  }

  close(): void {}
}

/**
 * Open the best connection the session allows: the stream-local forward (a full client: calls,
 * watches, precise clock), else — a non-root session cannot open the root-only socket — one call at
 * a time through `quorate-agent call` with sudo. `client` is set only for a forwarded connection.
 */
export async function openAgent(host: AgentHost): Promise<Result<AgentCaller & { client?: AgentClient }>> {
  if (host.forwardUnixSocket) {
    const stream = await host.forwardUnixSocket(AGENT_SOCKET_PATH);
    if (stream.ok) {
      const client = new AgentClient(stream.value, host.label);
      return ok(Object.assign(client, { client }));
    }
  }
  return ok(new RunnerCaller(host));
}

export interface ProbePairOptions {
  /** UDP port in 5405..5412 (default 5405). */
  readonly port?: number;
  readonly count?: number;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}

/**
 * Measure UDP from `from` to `to` on a corosync port: `to` answers for the duration of the probe
 * (plus margin), `from` sends. `toAddress` is `to`'s address as `from` should reach it.
 */
export async function probePair(
  from: AgentCaller,
  to: AgentCaller,
  toAddress: string,
  o: ProbePairOptions = {},
): Promise<Result<ProbeMeasureResult>> {
  const port = o.port ?? 5405;
  const count = o.count ?? 20;
  const intervalMs = o.intervalMs ?? 20;
  const timeoutMs = o.timeoutMs ?? 1000;
  const listening = await to.call('probe.listen', {
    ports: [port],
    durationMs: count * intervalMs + timeoutMs + 2_000,
  });
  if (!listening.ok) {
    return listening;
  }
  return from.call(
    'probe.measure',
    { host: toAddress, port, count, intervalMs, timeoutMs },
    { timeoutMs: count * intervalMs + timeoutMs + 15_000 },
  );
}
