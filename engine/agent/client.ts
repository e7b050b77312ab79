/**
 * The desktop side of the agent protocol: `AgentClient` over any Duplex — a local unix socket in
 * tests, an SSH stream-local forward (`SshSession.forwardUnixSocket`) in the product.
 */
import type { Duplex } from 'node:stream';
import { err, ok, type Result } from '../result';
import { clockOffset, createWallClock, estimateClockOffset, type ClockEstimate, type ClockSample } from './clock';
import { encodeLine, LineDecoder } from './framing';
import { parseReply, type AgentMethod, type AgentMethods, type ParamsOf, type ResultOf } from './protocol';

interface Pending {
  resolve(r: Result<unknown>): void;
  onEvent?: (event: unknown) => void;
  timer?: NodeJS.Timeout;
}

export interface CallOptions {
  /** ms; the call resolves with `agent.timeout` when it elapses. Default 30 000. */
  readonly timeoutMs?: number;
}

export class AgentClient {
  readonly #stream: Duplex;
  readonly #label: string;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: string | null = null;

  /** `label` names the machine in messages: `node2 (198.18.0.2)`. */
  constructor(stream: Duplex, label: string) {
    this.#stream = stream;
    this.#label = label;
    const decoder = new LineDecoder({
      onMessage: (v) => this.#onMessage(v),
      onError: () => undefined,
    });
    stream.on('data', (chunk: Buffer | string) => decoder.push(chunk));
    stream.on('error', (e) => this.#fail(`connection error: ${e.message}`));
    stream.on('close', () => this.#fail('connection closed'));
    stream.on('end', () => this.#fail('connection closed by the agent'));
  }

  #onMessage(v: unknown): void {
    const reply = parseReply(v);
    if (!reply) {
      return;
    }
    const p = this.#pending.get(reply.id);
    if (!p) {
      return;
    }
    if ('event' in reply) {
      p.onEvent?.(reply.event);
      return;
    }
    this.#pending.delete(reply.id);
    if (p.timer) {
      clearTimeout(p.timer);
    }
    p.resolve('result' in reply ? ok(reply.result) : { ok: false, error: reply.error });
  }

  #fail(why: string): void {
    if (this.#closed !== null) {
      return;
    }
    this.#closed = why;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      if (p.timer) {
        clearTimeout(p.timer);
      }
      p.resolve(
        err(
          'agent.disconnected',
          `lost the agent on ${this.#label}: ${why}`,
          'check that the agent runs there (quorate bootstrap ADDR re-installs and starts it)',
        ),
      );
    }
  }

  #send(method: string, params: unknown, pending: Pending, timeoutMs: number | undefined): number {
    const id = this.#nextId++;
    if (this.#closed !== null) {
      pending.resolve(
        err('agent.disconnected', `lost the agent on ${this.#label}: ${this.#closed}`, 'reconnect and retry'),
      );
      return id;
    }
    if (timeoutMs !== undefined) {
      pending.timer = setTimeout(() => {
        this.#pending.delete(id);
        pending.resolve(
          err(
            'agent.timeout',
            `the agent on ${this.#label} did not answer ${method} within ${timeoutMs} ms`,
            'the machine may be overloaded; retry, or check the agent log',
          ),
        );
      }, timeoutMs);
    }
    this.#pending.set(id, pending);
    this.#stream.write(encodeLine({ id, method, params }));
    return id;
  }

  /** Call one method and wait for its result. */
  call<M extends Exclude<AgentMethod, 'quorum.watch'>>(
    method: M,
    params: ParamsOf<M>,
    options: CallOptions = {},
  ): Promise<Result<ResultOf<M>>> {
    return new Promise((resolve) => {
      this.#send(method, params, { resolve: resolve as (r: Result<unknown>) => void }, options.timeoutMs ?? 30_000);
    });
  }

  /**
   * Subscribe to `quorum.watch`. `onEvent` runs for each change; `done` resolves when the watch ends
   * (cancelled, or the connection dropped). `cancel()` asks the agent to stop it.
   */
  watch(
    params: ParamsOf<'quorum.watch'>,
    onEvent: (e: AgentMethods['quorum.watch']['event']) => void,
  ): { done: Promise<Result<{ cancelled: true }>>; cancel(): Promise<void> } {
    let id = -1;
    const done = new Promise<Result<{ cancelled: true }>>((resolve) => {
      id = this.#send(
        'quorum.watch',
        params,
        { resolve: resolve as (r: Result<unknown>) => void, onEvent: onEvent as (e: unknown) => void },
        undefined,
      );
    });
    return {
      done,
      cancel: async () => {
        await this.call('cancel', { id });
      },
    };
  }

  /**
   * Measure the agent's clock offset against this process's `Date.now()`: `samples` exchanges,
   * the one with the smallest round trip wins (see clock.ts).
   */
  async measureClockOffset(
    samples = 8,
    localNow: () => number = createWallClock(),
  ): Promise<Result<ClockEstimate & { samples: readonly ClockSample[] }>> {
    const taken: ClockSample[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = localNow();
      const r = await this.call('clock', {}, { timeoutMs: 10_000 });
      const t3 = localNow();
      if (!r.ok) {
        return r;
      }
      taken.push({ t0, t1: r.value.wallMs, t2: r.value.wallMs, t3 });
    }
    const best = estimateClockOffset(taken) ?? clockOffset(taken[0]!);
    return ok({ ...best, samples: taken });
  }

  /** Close the stream; pending calls resolve with `agent.disconnected`. */
  close(): void {
    this.#stream.end();
    this.#stream.destroy();
    this.#fail('closed by Quorate');
  }
}
