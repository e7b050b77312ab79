/**
 * The real agent bundle, run as a child process on a temp unix socket as the current user; facts are
 * this machine's real ones. No fakes: corosync tools are whatever this machine has.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToolVersion } from '../../../engine/agent/facts-parse';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { buildBundle, clientFor, startAgent, tcpListenPortsOf, waitFor } from './agent-process';

let dir: string;
let bundle: string;
let socket: string;
let agent: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quorate-agent-test-'));
  bundle = join(dir, 'quorate-agent.cjs');
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

function corosyncVersionHere(): string | null {
  try {
    return parseToolVersion(execFileSync('corosync', ['-v'], { encoding: 'utf8' }));
  } catch {
    return null;
  }
}

describe('the agent bundle', () => {
  it('is one file that requires nothing but node: builtins', () => {
    const text = readFileSync(bundle, 'utf8');
    const requires = [...text.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(requires.length).toBeGreaterThan(0);
    expect(requires.filter((r) => !r!.startsWith('node:'))).toEqual([]);
  });
});

describe('the agent daemon', () => {
  it('listens on a socket only its user may open, in a 0700 directory, and on no TCP port', async () => {
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(tcpListenPortsOf(agent.pid!)).toEqual([]);
  });

  it('says hello with its versions and PID', async () => {
    const c = await clientFor(socket);
    const r = await c.call('hello', {});
    c.close();
    expect(r.ok && r.value).toMatchObject({ protocolVersion: 1, pid: agent.pid, nodeVersion: process.version });
  });

  it("reports this machine's real facts, each field on its own", async () => {
    const c = await clientFor(socket);
    const r = await c.call('facts', {});
    c.close();
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    const f = r.value;
    expect(f.hostname).toEqual({ ok: true, value: hostname() });
    expect(f.versions.corosync).toEqual({ ok: true, value: corosyncVersionHere() });
    if (existsSync('/etc/machine-id')) {
      expect(f.machineId).toEqual({ ok: true, value: readFileSync('/etc/machine-id', 'utf8').trim() });
    }
    expect(f.kernel.ok && f.kernel.value).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(f.arch.ok && f.arch.value).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    expect(f.interfaces.ok && f.interfaces.value.some((i) => i.addresses.includes('127.0.0.1/8'))).toBe(true);
    expect(f.clusterConfig.ok && f.clusterConfig.value.corosyncConf).toBe(
      existsSync('/etc/corosync/corosync.conf') ? readFileSync('/etc/corosync/corosync.conf', 'utf8') : null,
    );
    expect(f.timeSync.ok).toBe(true);
  });

  it('measures a clock offset of about zero against the same machine', async () => {
    const c = await clientFor(socket);
    const r = await c.measureClockOffset(5);
    c.close();
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    expect(Math.abs(r.value.offsetMs)).toBeLessThan(Math.max(5, r.value.errorBoundMs + 2));
    expect(r.value.samples).toHaveLength(5);
  });

  it('answers UDP probes on a corosync port over loopback, and sees 100 % loss where nobody answers', async () => {
    const c = await clientFor(socket);
    let port = 0;
    for (const p of [5412, 5411, 5410, 5409]) {
      const l = await c.call('probe.listen', { ports: [p], durationMs: 5000, address: '127.0.0.1' });
      if (l.ok) {
        port = p;
        break;
      }
    }
    expect(port, 'no free UDP port in 5409..5412 on loopback').toBeGreaterThan(0);
    const m = await c.call('probe.measure', { host: '127.0.0.1', port, count: 20, intervalMs: 2, timeoutMs: 500 });
    if (!m.ok) {
      throw new Error(m.error.message);
    }
    expect(m.value).toMatchObject({ sent: 20, received: 20, lossPercent: 0 });
    expect(m.value.rttMinMs!).toBeGreaterThan(0);
    expect(m.value.rttMaxMs!).toBeGreaterThanOrEqual(m.value.rttAvgMs!);
    // Warm-up datagrams go out first and are not counted; every counted reply's RTT comes back in send order.
    const warm = await c.call('probe.measure', {
      host: '127.0.0.1',
      port,
      count: 10,
      intervalMs: 2,
      timeoutMs: 500,
      warmup: 3,
      source: '127.0.0.1',
    });
    if (!warm.ok) {
      throw new Error(warm.error.message);
    }
    expect(warm.value).toMatchObject({ sent: 10, received: 10, lossPercent: 0 });
    expect(warm.value.rttsMs).toHaveLength(10);
    expect(Math.min(...warm.value.rttsMs!)).toBe(warm.value.rttMinMs);
    expect(Math.max(...warm.value.rttsMs!)).toBe(warm.value.rttMaxMs);
    const silent = await c.call('probe.measure', { host: '127.0.0.2', port, count: 3, intervalMs: 2, timeoutMs: 200 });
    c.close();
    expect(silent.ok && silent.value).toMatchObject({
      sent: 3,
      received: 0,
      lossPercent: 100,
      rttAvgMs: null,
      rttsMs: [],
    });
  });

  it('refuses a probe port that is already taken, naming it', async () => {
    const c = await clientFor(socket);
    const a = await startAgent(bundle, join(dir, 'second', 'agent.sock'));
    const c2 = await clientFor(join(dir, 'second', 'agent.sock'));
    try {
      const first = await c.call('probe.listen', { ports: [5408], durationMs: 2000, address: '127.0.0.1' });
      if (!first.ok) {
        // Something else on this machine holds 5408: that is the same refusal.
        expect(first.error.code).toBe('agent.probe-port-busy');
        return;
      }
      const second = await c2.call('probe.listen', { ports: [5408], durationMs: 2000, address: '127.0.0.1' });
      expect(second.ok ? null : second.error.code).toBe('agent.probe-port-busy');
    } finally {
      c.close();
      c2.close();
      a.kill('SIGTERM');
    }
  });

  it('streams the corosync quorum state as first event, and stops on cancel', async () => {
    const c = await clientFor(socket);
    const events: QuorumWatchEvent[] = [];
    const w = c.watch({ intervalMs: 200 }, (e) => events.push(e));
    await waitFor(() => events.length > 0);
    await w.cancel();
    const done = await w.done;
    c.close();
    expect(done).toEqual({ ok: true, value: { cancelled: true } });
    let expectRunning: boolean;
    try {
      expectRunning = /Quorate:/.test(
        execFileSync('corosync-quorumtool', ['-s'], {
          encoding: 'utf8',
          timeout: 3000,
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    } catch {
      expectRunning = false;
    }
    expect(events[0]!.running).toBe(expectRunning);
  });

  it('cleans up a stale socket at start, refuses to start over a live one, and removes what it made on stop', async () => {
    const sock = join(dir, 'stale', 'agent.sock');
    const first = await startAgent(bundle, sock);
    first.kill('SIGKILL');
    await waitFor(() => first.exitCode !== null || first.signalCode !== null);
    expect(existsSync(sock)).toBe(true); // left behind by the killed agent
    const second = await startAgent(bundle, sock);
    const c = await clientFor(sock);
    expect((await c.call('hello', {})).ok).toBe(true);
    c.close();
    const refused = execFileSyncStatus(bundle, sock);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/another agent already answers/);
    second.kill('SIGTERM');
    await waitFor(() => second.exitCode !== null);
    expect(existsSync(sock)).toBe(false);
  });
});

function execFileSyncStatus(bundlePath: string, sock: string): { status: number | null; stderr: string } {
  try {
    execFileSync(process.execPath, [bundlePath, 'serve', '--socket', sock], {
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 5000,
    });
    return { status: 0, stderr: '' };
  } catch (e) {
    const x = e as { status: number | null; stderr: string };
    return { status: x.status, stderr: x.stderr };
  }
}
