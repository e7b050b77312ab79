import { describe, expect, it } from 'vitest';
import type { Result } from '../../../engine/result';
import { err, ok } from '../../../engine/result';
import type { RpcValidator } from '../../../engine/api/rpc';
import { createRpcClient, createRpcServer, rebuildResult } from '../../../engine/api/rpc';
import { createTransportPair } from '../../../engine/api/transport';

// A two-method API for the wire mechanics only; the real contract's validators are tested in contract.test.ts.
const validators: Record<string, RpcValidator> = {
  echo: (p) =>
    typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'
      ? ok(p)
      : err('api.invalid-params', 'params.text: expected a string', 'Fix the caller.'),
  fail: (p) => ok(p),
  explode: (p) => ok(p),
};

function setup(handlers: Record<string, (p: unknown) => Promise<Result<unknown>>>) {
  const [clientSide, serverSide] = createTransportPair();
  let emit: (event: string, payload: unknown) => void = () => {};
  let unsubscribed = false;
  const bugs: string[] = [];
  const server = createRpcServer({
    transport: serverSide,
    validators,
    handlers,
    events: ['onDidChangeQuorum'],
    subscribe: (e) => {
      emit = e;
      return () => void (unsubscribed = true);
    },
    onBug: (method) => bugs.push(method),
  });
  const client = createRpcClient(clientSide);
  return {
    client,
    server,
    clientSide,
    serverSide,
    emit: (e: string, p: unknown) => emit(e, p),
    bugs,
    unsubscribed: () => unsubscribed,
  };
}

describe('rpc over an in-memory transport pair', () => {
  it('round-trips call → result → event with no socket', async () => {
    const t = setup({ echo: async (p) => ok({ said: (p as { text: string }).text }) });
    const seen: unknown[] = [];
    t.client.on('onDidChangeQuorum', (payload) => seen.push(payload));
    const result = await t.client.call('echo', { text: 'hello' });
    expect(result).toEqual({ ok: true, value: { said: 'hello' } });
    t.emit('onDidChangeQuorum', { cluster: 'homelab', quorate: false });
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual([{ cluster: 'homelab', quorate: false }]);
  });

  it('answers concurrent calls by id, whatever order the engine finishes them in', async () => {
    const gates: Array<() => void> = [];
    const t = setup({
      echo: (p) => new Promise((resolve) => gates.push(() => resolve(ok((p as { text: string }).text)))),
    });
    const first = t.client.call('echo', { text: 'first' });
    const second = t.client.call('echo', { text: 'second' });
    while (gates.length < 2) {
      await new Promise((r) => setImmediate(r));
    }
    gates[1]!();
    gates[0]!();
    expect(await first).toEqual({ ok: true, value: 'first' });
    expect(await second).toEqual({ ok: true, value: 'second' });
  });

  it("refuses bad params with the validator's path message before the engine runs", async () => {
    let ran = false;
    const t = setup({ echo: async () => ((ran = true), ok(null)) });
    const result = await t.client.call('echo', { text: 42 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code: 'api.invalid-params', message: 'params.text: expected a string' });
    }
    expect(ran).toBe(false);
  });

  it('carries expected failures as errors rebuilt by code, with hint and cause', async () => {
    const t = setup({
      fail: async () =>
        err(
          'ssh.auth-failed',
          'pve2 (198.18.0.12:22) refused the password.',
          'Check the password.',
          'All configured authentication methods failed',
        ),
    });
    const result = await t.client.call('fail', {});
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'ssh.auth-failed',
        message: 'pve2 (198.18.0.12:22) refused the password.',
        hint: 'Check the password.',
        cause: 'All configured authentication methods failed',
      },
    });
  });

  it('turns a handler that throws into api.internal and reports the bug', async () => {
    const t = setup({
      explode: async () => {
        throw new Error('boom');
      },
    });
    const result = await t.client.call('explode', {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('api.internal');
    }
    expect(t.bugs).toEqual(['explode']);
  });

  it('refuses methods outside the validators table, including Object.prototype names', async () => {
    const t = setup({ echo: async () => ok(null) });
    for (const method of ['nope', 'constructor', '__proto__', 'toString']) {
      const result = await t.client.call(method, {});
      expect(result.ok ? 'ok' : result.error.code).toBe('api.unknown-method');
    }
  });

  it('does not forward events that are not in the contract', async () => {
    const t = setup({});
    const seen: unknown[] = [];
    t.client.on('secret', (p) => seen.push(p));
    t.emit('secret', 1);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });

  it('removes a listener when its signal aborts', async () => {
    const t = setup({});
    const seen: unknown[] = [];
    const controller = new AbortController();
    t.client.on('onDidChangeQuorum', (p) => seen.push(p), { signal: controller.signal });
    t.emit('onDidChangeQuorum', 1);
    await new Promise((r) => setImmediate(r));
    controller.abort();
    t.emit('onDidChangeQuorum', 2);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([1]);
  });

  it('resolves pending calls with api.disconnected when the channel closes, and unsubscribes the server', async () => {
    const t = setup({ echo: () => new Promise(() => {}) });
    const pending = t.client.call('echo', { text: 'never' });
    await new Promise((r) => setImmediate(r));
    t.clientSide.close();
    const result = await pending;
    expect(result.ok ? 'ok' : result.error.code).toBe('api.disconnected');
    expect(t.unsubscribed()).toBe(true);
    const after = await t.client.call('echo', { text: 'late' });
    expect(after.ok ? 'ok' : after.error.code).toBe('api.disconnected');
  });

  it('rebuilds only known string fields of a received error', () => {
    const hostile = {
      ok: false,
      error: {
        code: 'ssh.timeout',
        message: 'm',
        hint: 'h',
        cause: { deep: true },
        extra: 'x',
        __proto__: { evil: 1 },
      },
    };
    expect(rebuildResult(hostile)).toEqual({ ok: false, error: { code: 'ssh.timeout', message: 'm', hint: 'h' } });
    const garbage = rebuildResult('nonsense');
    expect(garbage.ok ? 'ok' : garbage.error.code).toBe('api.bad-reply');
  });
});
