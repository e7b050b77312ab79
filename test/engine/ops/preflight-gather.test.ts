/**
 * Pre-flight gathering through a real agent (the built bundle, run as a child process on a temp
 * socket, as test/engine/agent does). The SSH stream-local forward is replaced by a direct connection
 * to that socket; the lab tests (cluster.lab.test.ts) go through real SSH.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHost } from '../../../engine/bootstrap/executor';
import { gatherPreflightInput, type AgentProgress } from '../../../engine/ops/preflight-gather.ssh';
import { err, ok, type Result } from '../../../engine/result';
import { buildBundle, startAgent } from '../agent/agent-process';

let dir: string;
let socket: string;
let agent: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quorate-gather-test-'));
  const bundle = join(dir, 'quorate-agent.cjs');
  buildBundle(bundle);
  socket = join(dir, 'run', 'agent.sock');
  agent = await startAgent(bundle, socket);
});

afterAll(() => {
  if (agent.exitCode === null) {
    agent.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A machine whose "SSH session" forwards to `agentSocket` (null: no agent there) and runs no command successfully. */
function host(label: string, agentSocket: string | null): AgentHost & { commands: string[] } {
  const commands: string[] = [];
  return {
    label,
    commands,
    run: async (command) => {
      commands.push(command);
      return ok({ stdout: '', stderr: 'sh: 1: node: not found', exitCode: 127, signal: null });
    },
    upload: async () => err('test.no-upload', 'no uploads here', ''),
    close: async () => {},
    forwardUnixSocket: (): Promise<Result<Duplex>> =>
      new Promise((resolve) => {
        if (agentSocket === null) {
          resolve(err('ssh.forward-failed', 'open failed', ''));
          return;
        }
        const s = connect(agentSocket);
        s.once('connect', () => resolve(ok(s)));
        s.once('error', (e) => resolve(err('ssh.forward-failed', e.message, '')));
      }),
  };
}

describe('pre-flight gathering through the agent', () => {
  it('reads facts and clock offsets and probes UDP both ways between two loopback addresses', async () => {
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: [
        { machine: '127.0.0.1', runner: host('a', socket) },
        { machine: '127.0.0.2', runner: host('b', socket) },
      ],
      probeCount: 20,
      probeGapMs: 2,
      probePort: 5406,
    });
    if (!g.ok) {
      throw new Error(JSON.stringify(g.error));
    }
    const { input } = g.value;
    expect(input.machines.map((m) => m.hostname)).toEqual([hostname(), hostname()]);
    expect(input.machines[0]!.interfaces.flatMap((i) => i.addresses)).toContain('127.0.0.1/8');
    expect(input.linkAddresses).toEqual({ '127.0.0.1': { 0: '127.0.0.1' }, '127.0.0.2': { 0: '127.0.0.2' } });
    // The same clock on both ends: the offset is within the exchange's own error.
    for (const m of ['127.0.0.1', '127.0.0.2']) {
      expect(Math.abs(input.clockOffsetsMs[m]!)).toBeLessThan(50);
    }
    expect(input.measurements.map((m) => `${m.from}>${m.to}`).sort()).toEqual([
      '127.0.0.1>127.0.0.2',
      '127.0.0.2>127.0.0.1',
    ]);
    for (const m of input.measurements) {
      expect(m.udpReachable).toBe(true);
      expect(m.lossPercent).toBe(0);
      expect(m.rttAvgMs).toBeGreaterThan(0);
    }
  });

  it('takes the default link0 of a machine on another SSH port from its address alone', async () => {
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: [
        { machine: '127.0.0.1:2222', runner: host('a', socket) },
        { machine: '127.0.0.2', runner: host('b', socket) },
      ],
      probeCount: 5,
      probeGapMs: 2,
      probePort: 5407,
    });
    if (!g.ok) {
      throw new Error(JSON.stringify(g.error));
    }
    expect(g.value.input.linkAddresses).toEqual({
      '127.0.0.1:2222': { 0: '127.0.0.1' },
      '127.0.0.2': { 0: '127.0.0.2' },
    });
    expect(g.value.input.measurements.every((m) => m.udpReachable)).toBe(true);
  });

  it('refuses a machine without the agent when it cannot be installed, saying to bootstrap it first', async () => {
    const progress: AgentProgress[] = [];
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: [
        { machine: '127.0.0.1', runner: host('a', socket) },
        { machine: '198.18.250.9', runner: host('b', null) },
      ],
      agentBundlePath: join(dir, 'missing.cjs'),
      onAgentProgress: (p) => progress.push(p),
    });
    expect(g.ok).toBe(false);
    if (g.ok) {
      return;
    }
    expect(g.error.code).toBe('preflight.agent-missing');
    expect(g.error.message).toContain('198.18.250.9');
    expect(g.error.hint).toBe('run `quorate bootstrap 198.18.250.9` first');
    expect(progress.at(-1)).toMatchObject({ machine: '198.18.250.9', state: 'failed' });
  });
});
