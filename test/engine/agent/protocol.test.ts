import { describe, expect, it } from 'vitest';
import { AGENT_METHODS, parseReply, parseRequest } from '../../../engine/agent/protocol';

describe('method validators', () => {
  it.each([
    ['probe.listen', { ports: [5405, 5412], durationMs: 1000 }, null],
    ['probe.listen', { ports: [22], durationMs: 1000 }, 'params.ports[0]: must be 5405..5412, got 22'],
    ['probe.listen', { ports: [5405, 5405], durationMs: 1000 }, 'params.ports: ports must be distinct'],
    ['probe.listen', { ports: [5405], durationMs: 0 }, 'params.durationMs: must be 1..600000, got 0'],
    ['probe.measure', { host: '198.18.0.2', port: 5405, count: 10, intervalMs: 10, timeoutMs: 500 }, null],
    [
      'probe.measure',
      { host: 'node2', port: 5405, count: 10, intervalMs: 10, timeoutMs: 500 },
      'params.host: expected an IPv4 or IPv6 address, got "node2"',
    ],
    [
      'probe.measure',
      { host: '198.18.0.2', port: 5405, count: 1.5, intervalMs: 10, timeoutMs: 500 },
      'params.count: expected an integer, got 1.5',
    ],
    [
      'probe.measure',
      { host: '198.18.0.2', port: 5405, count: 10, intervalMs: 10, timeoutMs: 500, warmup: 3, source: '198.18.0.1' },
      null,
    ],
    [
      'probe.measure',
      { host: '198.18.0.2', port: 5405, count: 10, intervalMs: 10, timeoutMs: 500, warmup: 11 },
      'params.warmup: must be 0..10, got 11',
    ],
    [
      'probe.measure',
      { host: '198.18.0.2', port: 5405, count: 10, intervalMs: 10, timeoutMs: 500, source: 'eth0' },
      'params.source: expected an IPv4 or IPv6 address, got "eth0"',
    ],
    ['quorum.watch', undefined, null],
    ['quorum.watch', { intervalMs: 50 }, 'params.intervalMs: must be 100..5000, got 50'],
    ['facts', {}, null],
    ['facts', { verbose: true }, 'params: this method takes no parameters'],
    ['cancel', { id: 3 }, null],
  ] as const)('%s %j → %s', (method, params, problem) => {
    const r = AGENT_METHODS[method].validate(params);
    if (problem === null) {
      expect(r.ok).toBe(true);
    } else {
      expect(r).toEqual({ ok: false, problem });
    }
  });

  it('declares every method as data with a summary', () => {
    for (const [name, spec] of Object.entries(AGENT_METHODS)) {
      expect(spec.summary.length, name).toBeGreaterThan(10);
    }
    expect(AGENT_METHODS['quorum.watch'].stream).toBe(true);
  });
});

describe('parseRequest / parseReply', () => {
  it('refuses requests without an integer id or a method name', () => {
    expect(parseRequest({ method: 'hello' })).toMatchObject({ ok: false, id: null });
    expect(parseRequest({ id: 4, method: 7 })).toMatchObject({
      ok: false,
      id: 4,
      problem: 'request.method: expected a string',
    });
    expect(parseRequest({ id: 4, method: 'hello' })).toEqual({
      ok: true,
      value: { id: 4, method: 'hello', params: undefined },
    });
  });

  it('classifies results, events and errors, and drops anything else', () => {
    expect(parseReply({ id: 1, result: 5 })).toEqual({ id: 1, result: 5 });
    expect(parseReply({ id: 1, event: { kind: 'quorum' } })).toEqual({ id: 1, event: { kind: 'quorum' } });
    expect(parseReply({ id: 1, error: { code: 'agent.x', message: 'm' } })).toEqual({
      id: 1,
      error: { code: 'agent.x', message: 'm', hint: '' },
    });
    expect(parseReply({ id: 1 })).toBeNull();
    expect(parseReply('nope')).toBeNull();
  });
});
