/**
 * Cluster operations on real corosync 3 in the lab, through real SSH, as the product runs them.
 * One lab of six hosts is shared by the scenarios, which run in order:
 * hosts 1–3 found "alpha", 4 joins, 5 belongs to another cluster, 6 has its corosync ports blocked
 * and later joins through an interrupted-then-resumed run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import {
  changeLink,
  createCluster,
  joinCluster,
  preflightMachines,
  removeNode,
  setExpected,
} from '../../../engine/ops/operations';
import type { OpsContext } from '../../../engine/ops/operations';
import { createStatusService } from '../../../engine/api/service-status';
import { createEventHub } from '../../../engine/api/event-hub';
import { createOperationsService } from '../../../engine/api/service-ops';
import { err, unwrap } from '../../../engine/result';
import { stopServiceScript } from '../../../engine/ops/scripts';
import { runCreateCommand, runPreflightCommand } from '../../../engine/cli/cluster-commands';
import { dropAgent, labOps, quorumOn, waitQuorumOn, type LabOps } from './lab-ops';
import { captureIo } from '../cli/captured-io';

/** The window's operations handlers over the test's operations context. */
const windowOps = (ctx: OpsContext) =>
  createOperationsService({
    home: ctx.home,
    events: createEventHub(),
    machines: { connect: async () => err('machines.unknown', 'the context connects', 'none') },
    now: Date.now,
    onClustersChanged: async () => {},
    context: ctx,
  });

/** The service's one-shot status reader over the test's operations context. */
const clusterStatus = (ctx: OpsContext, cluster: string) =>
  createStatusService({ context: () => ctx, now: Date.now }).readClusterStatus({ cluster });

const support = labSupport();
if (!support.ok) {
  console.log(`skipping the cluster operations lab tests: ${support.reason}`);
}

describe.skipIf(!support.ok)('cluster operations on real corosync', () => {
  let lab: Lab;
  let ops: LabOps;
  const addr = (i: number): string => lab.host(i).address;

  beforeAll(async () => {
    lab = await labUp({ hosts: 6 });
    ops = labOps(lab);
  });
  afterAll(async () => {
    await lab?.down();
    ops?.cleanup();
  });

  it('quorate preflight --json: passes three clean hosts, with measured latency on link0', async () => {
    const io = captureIo();
    const code = await runPreflightCommand(
      [addr(1), addr(2), addr(3), '--link0', `198.18.${lab.id}.0/24`, '--json'],
      io,
      { ctx: ops.ctx },
    );
    const json = JSON.parse(io.out()) as { ok: boolean; checks: { id: string; status: string; measured: string }[] };
    expect(code, io.out()).toBe(0);
    expect(json.ok).toBe(true);
    const latency = json.checks.filter((c) => c.id === 'preflight.latency');
    expect(latency).toHaveLength(3);
    for (const c of latency) {
      expect(Number.parseFloat(c.measured)).toBeLessThan(5);
    }
    // The fresh hosts had no agent: pre-flight installed it (and said so) before reading them through it.
    for (const i of [1, 2, 3]) {
      expect(
        ops.events.some((e) => e.stepId === `agent@${addr(i)}` && e.state === 'done'),
        `agent installed on ${addr(i)}`,
      ).toBe(true);
    }
    expect((await lab.exec(1, 'test -S /run/quorate-agent/agent.sock')).exitCode).toBe(0);
  });

  it('pre-flight fails a clock 5 s off and a Proxmox node with guests beside plain Debian ones', async () => {
    await lab.skewClock(5, 5);
    await dropAgent(ops.ctx, addr(5));
    await lab.fakeProxmox(4, { version: '8.2.4', guests: [{ vmid: 100, name: 'web', kind: 'qemu' }] });
    try {
      const r = await preflightMachines(ops.ctx, [addr(1), addr(4), addr(5)]);
      if (!r.ok) {
        throw new Error(JSON.stringify(r.error));
      }
      const get = (id: string, subject: string) =>
        r.value.checks.find((c) => c.id === `preflight.${id}` && c.subject === subject);
      expect(r.value.ok).toBe(false);
      expect(get('clock-offset', addr(5))?.status).toBe('fail');
      expect(Number.parseFloat(get('clock-offset', addr(5))!.measured)).toBeGreaterThan(4);
      expect(get('clock-offset', addr(1))?.status).toBe('pass');
      expect(get('guests', addr(4))?.status).toBe('fail');
      expect(get('guests', addr(4))?.measured).toContain('100 web');
      expect(get('pve-mixed', 'cluster')?.status).toBe('fail');
    } finally {
      await lab.skewClock(5, 0);
      await dropAgent(ops.ctx, addr(5));
      await lab.exec(
        4,
        'rm -f /usr/local/sbin/pveversion /usr/local/sbin/qm /usr/local/sbin/pct /usr/local/sbin/pvecm',
      );
    }
  });

  it('quorate create --plan --json: shows the plan and changes nothing', async () => {
    const io = captureIo();
    const code = await runCreateCommand(
      ['alpha', '--node', addr(1), '--node', addr(2), '--node', addr(3), '--plan', '--json'],
      io,
      { ctx: ops.ctx },
    );
    expect(code).toBe(0);
    const json = JSON.parse(io.out()) as {
      ok: boolean;
      plan: {
        quorum: { before: unknown; after: { quorum: number; canLose: number } };
        files: Record<string, string[]>;
      };
    };
    expect(json.ok).toBe(true);
    expect(json.plan.quorum).toEqual({
      before: null,
      after: { nodes: 3, expectedVotes: 3, totalVotes: 3, quorum: 2, canLose: 1 },
    });
    expect(json.plan.files[addr(2)]).toEqual(['/etc/corosync/authkey', '/etc/corosync/corosync.conf']);
    for (const i of [1, 2, 3]) {
      expect((await lab.exec(i, 'ls /etc/corosync')).stdout).not.toMatch(/authkey|corosync\.conf/);
    }
  });

  it('creates a three-node cluster that is quorate on every node', async () => {
    const r = await createCluster(ops.ctx, { name: 'alpha', machines: [addr(1), addr(2), addr(3)] });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.outcome?.journal.state).toBe('done');
    for (const i of [1, 2, 3]) {
      const s = await quorumOn(lab, i);
      expect(s?.quorate).toBe(true);
      expect(s?.members.map((m) => m.name).sort()).toEqual(['node1', 'node2', 'node3']);
    }
    const st = await clusterStatus(ops.ctx, 'alpha');
    if (!st.ok) {
      throw new Error(JSON.stringify(st.error));
    }
    expect(st.value).toMatchObject({ quorate: true, expectedVotes: 3, totalVotes: 3, quorum: 2, qdevice: null });
    expect(st.value.nodes.every((n) => n.online)).toBe(true);
  });

  it('writes an identical corosync.conf on every node, accepted by corosync -t, and a 0400 authkey', async () => {
    const sums = new Set<string>();
    for (const i of [1, 2, 3]) {
      const sum = await lab.exec(i, 'sha256sum /etc/corosync/corosync.conf /etc/corosync/authkey');
      expect(sum.exitCode).toBe(0);
      sums.add(sum.stdout.replace(/\s+\S+$/gm, ''));
      expect((await lab.exec(i, 'corosync -t')).exitCode).toBe(0);
      expect((await lab.exec(i, 'stat -c %a:%U /etc/corosync/authkey')).stdout.trim()).toBe('400:root');
    }
    expect(sums.size).toBe(1);
  });

  it('joins a fourth node: config_version bumped everywhere, the old file kept, four members on every node', async () => {
    const r = await joinCluster(ops.ctx, { name: 'alpha', machines: [addr(4)] });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    for (const i of [1, 2, 3, 4]) {
      const s = await waitQuorumOn(lab, i, (q) => q.members.length === 4, 30_000);
      expect(s.quorate).toBe(true);
      expect(s.quorum).toBe(3);
      expect((await lab.exec(i, 'grep -c "config_version: 2" /etc/corosync/corosync.conf')).stdout.trim()).toBe('1');
    }
    expect((await lab.exec(1, 'grep -c "config_version: 1" /etc/corosync/corosync.conf.bak.1')).stdout.trim()).toBe(
      '1',
    );
  });

  it('stays quorate when one of four nodes is cut off', async () => {
    await lab.cut(4);
    const s = await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 60_000);
    expect(s.quorate).toBe(true);
    expect(s.totalVotes).toBe(3);
  });

  it('is inquorate on both sides when two of four nodes are cut off', async () => {
    await lab.cut(3);
    const left = await waitQuorumOn(lab, 1, (q) => q.members.length === 2, 60_000);
    expect(left.quorate).toBe(false);
    expect((await quorumOn(lab, 2))?.quorate).toBe(false);
    const cut = await waitQuorumOn(lab, 3, (q) => q.members.length === 1, 60_000);
    expect(cut.quorate).toBe(false);
    expect((await quorumOn(lab, 4))?.quorate).toBe(false);
  });

  it('expected: a wrong confirmation is refused; the typed name lowers expected votes and the partition is quorate again', async () => {
    const wrong = await setExpected(ops.ctx, { name: 'alpha', votes: 2, confirm: 'alhpa' });
    expect(!wrong.ok && wrong.error.code).toBe('ops.confirm-mismatch');
    const r = await setExpected(ops.ctx, { name: 'alpha', votes: 2, confirm: 'alpha' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.plan.warnings.join(' ')).toMatch(/Reminder/);
    const s = await waitQuorumOn(lab, 1, (q) => q.quorate, 15_000);
    expect(s.expectedVotes).toBe(2);
    // The cut-off nodes stay inquorate: the override is local to the partition it was set in.
    expect((await quorumOn(lab, 3))?.quorate).toBe(false);
    await lab.heal(3);
    await lab.heal(4);
    // Back together, votequorum returns to the configured expected votes (highest expected wins).
    const back = await waitQuorumOn(
      lab,
      1,
      (q) => q.members.length === 4 && q.quorate && q.expectedVotes === 4,
      60_000,
    );
    expect(back.quorum).toBe(3);
  });

  it('refuses to remove a node that is still a member', async () => {
    const r = await removeNode(ops.ctx, { name: 'alpha', node: 'node4' });
    expect(!r.ok && r.error.code).toBe('ops.node-still-member');
  });

  it('removes a stopped node, and moves its old cluster files aside', async () => {
    expect((await lab.exec(4, stopServiceScript('corosync'))).exitCode).toBe(0);
    await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 60_000);
    const r = await removeNode(ops.ctx, { name: 'alpha', node: 'node4' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    const s = await waitQuorumOn(lab, 1, (q) => q.expectedVotes === 3, 30_000);
    expect(s.quorate).toBe(true);
    expect((await lab.exec(2, 'grep -c "name: node4" /etc/corosync/corosync.conf')).stdout.trim()).toBe('0');
    expect((await lab.exec(4, 'test -f /etc/corosync/corosync.conf')).exitCode).not.toBe(0);
    expect((await lab.exec(4, 'ls /etc/corosync')).stdout).toMatch(/corosync\.conf\.removed-from-alpha/);
    const st = await clusterStatus(ops.ctx, 'alpha');
    expect(st.ok && st.value.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
  });

  it('refuses to join a node that belongs to another cluster', async () => {
    const other = await createCluster(ops.ctx, { name: 'other', machines: [addr(5)] });
    if (!other.ok) {
      throw new Error(JSON.stringify(other.error));
    }
    const r = await joinCluster(ops.ctx, { name: 'alpha', machines: [addr(5)] });
    expect(!r.ok && r.error.code).toBe('preflight.failed');
    expect(!r.ok && r.error.message).toMatch(/not-in-cluster/);
    // Nothing changed on the members.
    expect((await lab.exec(1, 'grep -c "name: node5" /etc/corosync/corosync.conf')).stdout.trim()).toBe('0');
  });

  it('refuses by pre-flight to join a node whose UDP ports 5405–5412 are blocked', async () => {
    await lab.blockCorosyncPorts(6);
    try {
      const r = await joinCluster(ops.ctx, { name: 'alpha', machines: [addr(6)] });
      expect(!r.ok && r.error.code).toBe('preflight.failed');
      expect(!r.ok && r.error.message).toMatch(/udp-reachable/);
      expect((await lab.exec(6, 'test -f /etc/corosync/authkey')).exitCode).not.toBe(0);
    } finally {
      await lab.unblockCorosyncPorts(6);
    }
  });

  it('the window finds and resumes a join whose process was killed mid-way, and no node ever holds a half-written corosync.conf', async () => {
    // A real kill: the join runs in a child process, SIGKILLed as soon as the first member has the new
    // file (the members' installs run as one batch: the others may be before, during or after theirs).
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'join-child.ts'),
        ops.home,
        lab.sshKey.privateKeyPath,
        'alpha',
        addr(6),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const killedAt = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(line) as { stepId?: string; state?: string; result?: unknown };
          if (e.state === 'done' && /^install-conf-v4@198\.18\.\d+\.[123]$/.test(e.stepId ?? '')) {
            child.kill('SIGKILL');
            resolve(e.stepId!);
          }
          if (e.result !== undefined) {
            reject(new Error(`child finished before it was killed: ${line}`));
          }
        }
        buf = buf.split('\n').at(-1)!;
      });
      child.on('exit', () => setTimeout(() => reject(new Error('child exited without reaching the kill point')), 100));
    });
    expect(killedAt).toMatch(/^install-conf-v4@/);
    const journal = JSON.parse(readFileSync(join(ops.home, 'journal', 'join-alpha.json'), 'utf8')) as {
      state: string;
      done: string[];
    };
    expect(journal.state).toBe('running');
    // Killed between members: each has the new file or the old one, whole and valid.
    const versions: string[] = [];
    for (const i of [1, 2, 3]) {
      expect((await lab.exec(i, 'corosync -t')).exitCode).toBe(0);
      versions.push((await lab.exec(i, "sed -n 's/.*config_version: //p' /etc/corosync/corosync.conf")).stdout.trim());
    }
    expect(versions.every((v) => v === '3' || v === '4')).toBe(true);
    expect(versions).toContain('4');
    const member = Number(killedAt.split('.').at(-1));
    expect(versions[member - 1]).toBe('4');
    expect((await lab.exec(1, 'ls /etc/corosync')).stdout).not.toMatch(/quorate-new/);
    // The window's handlers see the killed run (its lock is stale: nobody holds alpha) and resume it.
    const app = windowOps(ops.ctx);
    const seen = unwrap(await app.findUnfinished({ cluster: 'alpha' }));
    expect([seen?.kind, seen?.request, seen?.state, seen?.runningIn]).toEqual([
      'cluster.join',
      `join ${addr(6)}`,
      'running',
      null,
    ]);
    expect(seen?.steps.find((s) => s.id === killedAt)?.state).toBe('done');
    expect(seen!.done).toBe(journal.done.length);
    const second = unwrap(await app.runUnfinished({ kind: 'cluster.join', cluster: 'alpha', rollback: false }));
    expect([second.ok, second.report?.resumed], JSON.stringify(second.error)).toEqual([true, true]);
    expect(unwrap(await app.findUnfinished({ cluster: 'alpha' }))).toBeNull();
    for (const i of [1, 2, 3, 6]) {
      const s = await waitQuorumOn(lab, i, (q) => q.members.length === 4, 30_000);
      expect(s.quorate).toBe(true);
    }
    const st = await clusterStatus(ops.ctx, 'alpha');
    expect(st.ok && st.value.nodes.map((n) => `${n.name}:${n.online}`)).toEqual([
      'node1:true',
      'node2:true',
      'node3:true',
      'node6:true',
    ]);
  });

  it('rolls back an interrupted join on request: members back on the previous config, still quorate', async () => {
    // Free host 5 from its own cluster first.
    expect((await lab.exec(5, `${stopServiceScript('corosync')}`)).exitCode).toBe(0);
    await lab.exec(5, 'rm -f /etc/corosync/corosync.conf /etc/corosync/authkey');
    const abort = new AbortController();
    const ctx = {
      ...ops.ctx,
      signal: abort.signal,
      onEvent: (e: { stepId: string; state: string }) => {
        if (e.state === 'done' && e.stepId === `install-conf-v5@${addr(1)}`) {
          abort.abort();
        }
      },
    };
    const first = await joinCluster(ctx, { name: 'alpha', machines: [addr(5)] });
    expect(!first.ok && first.error.code).toBe('ops.cancelled');
    expect((await lab.exec(1, "sed -n 's/.*config_version: //p' /etc/corosync/corosync.conf")).stdout.trim()).toBe('5');
    const undo = await joinCluster(ops.ctx, { name: 'alpha', machines: [addr(5)], rollback: true });
    if (!undo.ok) {
      throw new Error(JSON.stringify(undo.error));
    }
    expect(undo.value.outcome?.journal.state).toBe('rolled-back');
    for (const i of [1, 2, 3, 6]) {
      expect((await lab.exec(i, "sed -n 's/.*config_version: //p' /etc/corosync/corosync.conf")).stdout.trim()).toBe(
        '4',
      );
    }
    expect((await lab.exec(5, 'ls /etc/corosync')).stdout).not.toMatch(/authkey|corosync\.conf$/m);
    const s = await waitQuorumOn(lab, 1, (q) => q.members.length === 4, 30_000);
    expect(s.quorate).toBe(true);
    expect(s.expectedVotes).toBe(4);
  });

  it('adds a redundant link1 on every node, and knet brings it up', async () => {
    const members = [1, 2, 3, 6];
    for (const i of members) {
      expect((await lab.exec(i, `ip addr add 198.18.${lab.id}.${128 + i}/25 dev eth0`)).exitCode).toBe(0);
    }
    const r = await changeLink(ops.ctx, { name: 'alpha', link: 1, cidr: `198.18.${lab.id}.128/25`, priority: 5 });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    for (const i of members) {
      expect((await lab.exec(i, 'corosync -t')).exitCode).toBe(0);
      expect((await lab.exec(i, 'grep -c ring1_addr /etc/corosync/corosync.conf')).stdout.trim()).toBe('4');
    }
    // corosync-cfgtool -s: link 1 on the new address, connected to the three other nodes.
    const link1 = (cfg: string): string => cfg.split(/^LINK ID /m).find((b) => b.startsWith('1 ')) ?? '';
    const end = Date.now() + 30_000;
    let block = '';
    while (Date.now() < end) {
      block = link1((await lab.exec(1, 'corosync-cfgtool -s')).stdout);
      if ((block.match(/\tconnected/g) ?? []).length === 3) {
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(block).toMatch(new RegExp(`addr\\s*= 198\\.18\\.${lab.id}\\.129`));
    expect((block.match(/\tconnected/g) ?? []).length).toBe(3);
    const s = await quorumOn(lab, 1);
    expect(s?.quorate).toBe(true);
  });

  it('removes an unreachable node, and cleans it up when the same remove runs once it is back', async () => {
    await lab.cut(6);
    try {
      await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 60_000);
      const r = await removeNode(ops.ctx, { name: 'alpha', node: 'node6' });
      if (!r.ok) {
        throw new Error(JSON.stringify(r.error));
      }
      expect(r.value.plan.steps.some((s) => s.id.startsWith('clean@'))).toBe(false);
      const s = await waitQuorumOn(lab, 1, (q) => q.expectedVotes === 3, 30_000);
      expect(s.quorate).toBe(true);
      // Still unreachable: the clean-up is refused with a hint, nothing else happens.
      const again = await removeNode(ops.ctx, { name: 'alpha', node: 'node6' });
      expect(!again.ok && again.error.code).toBe('ops.still-unreachable');
    } finally {
      await lab.heal(6);
    }
    // Back, but its corosync still runs with the old file: the clean-up refuses until it is stopped.
    const running = await removeNode(ops.ctx, { name: 'alpha', node: 'node6' });
    expect(!running.ok && running.error.message).toMatch(/still running/);
    expect((await lab.exec(6, stopServiceScript('corosync'))).exitCode).toBe(0);
    const cleaned = await removeNode(ops.ctx, { name: 'alpha', node: 'node6' });
    if (!cleaned.ok) {
      throw new Error(JSON.stringify(cleaned.error));
    }
    expect((await lab.exec(6, 'ls /etc/corosync')).stdout).toMatch(/corosync\.conf\.removed-from-alpha/);
    expect((await quorumOn(lab, 1))?.quorate).toBe(true);
  });
});
