import { describe, expect, it } from 'vitest';
import { createConnection, parseAgentArgs, type AgentHandlers } from '../../../engine/agent/commands';
import type { AgentReply, QuorumWatchEvent } from '../../../engine/agent/protocol';
import { err, ok } from '../../../engine/result';

function handlers(over: Partial<AgentHandlers> = {}): AgentHandlers {
  return {
    hello: () => ok({ agentVersion: 'x', protocolVersion: 1, nodeVersion: 'v0', pid: 1, methods: [] }),
    facts: () => err('agent.test', 'no facts here', 'none'),
    clock: () => ok({ wallMs: 42.5 }),
    'probe.listen': (p) => ok({ ports: p.ports, untilMs: 1 }),
    'probe.measure': () => {
      throw new Error('boom');
    },
    'journal.read': () => ok({ wallMs: 1, entries: [] }),
    'alerts.configure': (p) => ok({ channels: p.channels.length }),
    'quorum.watch': async (_p, emit, signal) => {
      emit({ kind: 'quorum', at: 1, running: false, status: null });
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
    ...over,
  };
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('createConnection', () => {
  it('answers a call with its result, and an expected failure with its error value', async () => {
    const out: AgentReply[] = [];
    const c = createConnection(handlers(), (r) => out.push(r));
    c.receive({ id: 1, method: 'clock' });
    c.receive({ id: 2, method: 'facts', params: {} });
    await flush();
    expect(out).toContainEqual({ id: 1, result: { wallMs: 42.5 } });
    expect(out).toContainEqual({ id: 2, error: { code: 'agent.test', message: 'no facts here', hint: 'none' } });
  });

  it('refuses unknown methods and bad params with a path, and turns a throwing handler into agent.internal', async () => {
    const out: AgentReply[] = [];
    const c = createConnection(handlers(), (r) => out.push(r));
    c.receive({ id: 1, method: 'config.write' });
    c.receive({ id: 2, method: 'probe.listen', params: { ports: [80], durationMs: 10 } });
    c.receive({
      id: 3,
      method: 'probe.measure',
      params: { host: '127.0.0.1', port: 5405, count: 1, intervalMs: 1, timeoutMs: 1 },
    });
    await flush();
    const codes = Object.fromEntries(out.map((r) => [r.id, 'error' in r ? r.error.code : 'ok']));
    expect(codes).toEqual({ 1: 'agent.unknown-method', 2: 'agent.bad-params', 3: 'agent.internal' });
    const bad = out.find((r) => r.id === 2);
    expect(bad && 'error' in bad ? bad.error.message : '').toContain('params.ports[0]: must be 5405..5412, got 80');
  });

  it('streams watch events until cancelled, then ends the stream with a result', async () => {
    const out: AgentReply[] = [];
    const c = createConnection(handlers(), (r) => out.push(r));
    c.receive({ id: 7, method: 'quorum.watch', params: { intervalMs: 200 } });
    await flush();
    expect(out).toEqual([
      { id: 7, event: { kind: 'quorum', at: 1, running: false, status: null } satisfies QuorumWatchEvent },
    ]);
    c.receive({ id: 8, method: 'cancel', params: { id: 7 } });
    await flush();
    expect(out).toContainEqual({ id: 8, result: { cancelled: true } });
    expect(out).toContainEqual({ id: 7, result: { cancelled: true } });
    c.receive({ id: 9, method: 'cancel', params: { id: 7 } });
    await flush();
    expect(out).toContainEqual({ id: 9, result: { cancelled: false } });
  });

  it("stops a connection's streams and sends nothing more once it closes", async () => {
    const out: AgentReply[] = [];
    let aborted = false;
    const c = createConnection(
      handlers({
        'quorum.watch': async (_p, _emit, signal) => {
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            }),
          );
        },
      }),
      (r) => out.push(r),
    );
    c.receive({ id: 1, method: 'quorum.watch' });
    await flush();
    c.close();
    await flush();
    expect(aborted).toBe(true);
    expect(out).toEqual([]);
  });
});

describe('parseAgentArgs', () => {
  it.each([
    [['serve'], { ok: true, value: { command: 'serve', socket: '/run/quorate-agent/agent.sock' } }],
    [['serve', '--socket', '/tmp/a.sock'], { ok: true, value: { command: 'serve', socket: '/tmp/a.sock' } }],
    [['serve', '--socket', 'rel.sock'], { ok: false, problem: '--socket: expected an absolute path, got rel.sock' }],
    [
      ['call', 'clock'],
      {
        ok: true,
        value: {
          command: 'call',
          socket: '/run/quorate-agent/agent.sock',
          method: 'clock',
          params: {},
          timeoutMs: 10000,
        },
      },
    ],
    [
      ['call', 'probe.listen', '{"ports":[5405]}', '--timeout', '500'],
      {
        ok: true,
        value: {
          command: 'call',
          socket: '/run/quorate-agent/agent.sock',
          method: 'probe.listen',
          params: { ports: [5405] },
          timeoutMs: 500,
        },
      },
    ],
    [['call'], { ok: false, problem: 'call: expected METHOD [JSON-PARAMS]' }],
    [['serve', '--tcp', '80'], { ok: false, problem: 'unknown option --tcp' }],
    [['version'], { ok: true, value: { command: 'version' } }],
  ] as const)('%j', (argv, expected) => {
    expect(parseAgentArgs(argv)).toEqual(expected);
  });
});
