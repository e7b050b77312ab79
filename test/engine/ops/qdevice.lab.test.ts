/**
 * QDevice on real corosync-qnetd/qdevice 3.0.3 in the lab, through real SSH: a two-node cluster on
 * hosts 1–2, qnetd on host 3; hosts 4–5 join later, around the QDevice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { joinCluster, removeQdevice, setupQdevice } from '../../../engine/ops/operations';
import type { OpsContext } from '../../../engine/ops/operations';
import { createStatusService } from '../../../engine/api/service-status';
import { runCreateCommand, runStatusCommand } from '../../../engine/cli/cluster-commands';
import { stopServiceScript, startServiceScript } from '../../../engine/ops/scripts';
import { labOps, quorumOn, waitQuorumOn, type LabOps } from './lab-ops';

/** The service's one-shot status reader over the test's operations context. */
const clusterStatus = (ctx: OpsContext, cluster: string) =>
  createStatusService({ context: () => ctx, now: Date.now }).readClusterStatus({ cluster });

const support = labSupport();
if (!support.ok) {
  console.log(`skipping the QDevice lab tests: ${support.reason}`);
}

const flagsOf = (s: { members: readonly { local: boolean; qdeviceFlags: readonly string[] }[] } | null): string[] => [
  ...(s?.members.find((m) => m.local)?.qdeviceFlags ?? []),
];

describe.skipIf(!support.ok)('QDevice on real corosync-qnetd', () => {
  let lab: Lab;
  let ops: LabOps;
  const addr = (i: number): string => lab.host(i).address;

  beforeAll(async () => {
    lab = await labUp({ hosts: 5 });
    ops = labOps(lab);
    // Two links: link0 on the hosts' addresses, link1 on a second network (198.18.<id>.128/25).
    for (const i of [1, 2, 4, 5]) {
      await lab.exec(i, `ip addr add 198.18.${lab.id}.${128 + i}/25 dev eth0`);
    }
    let out = '';
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: () => {},
      readStdin: async () => '',
    };
    const code = await runCreateCommand(
      ['duo', '--node', addr(1), '--node', addr(2), '--link0', addr(1), '--link1', `198.18.${lab.id}.128/25`, '--json'],
      io,
      { ctx: ops.ctx },
    );
    if (code !== 0) {
      throw new Error(out);
    }
    expect(JSON.parse(out)).toMatchObject({ ok: true, verified: true });
  });

  it('created both links on both nodes (quorate create … --link0 IP --link1 CIDR)', async () => {
    for (const i of [1, 2]) {
      const conf = (await lab.exec(i, 'cat /etc/corosync/corosync.conf')).stdout;
      expect(conf).toContain(`ring0_addr: ${addr(2)}`);
      expect(conf).toContain(`ring1_addr: 198.18.${lab.id}.130`);
      expect(conf).toMatch(/two_node: 1/);
    }
  });
  afterAll(async () => {
    await lab?.down();
    ops?.cleanup();
  });

  it('sets up a QDevice on the spare host: certificates, config without two_node, daemons, vote counted', async () => {
    const r = await setupQdevice(ops.ctx, { name: 'duo', host: addr(3) });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.plan.warnings.join(' ')).toMatch(/two_node/);
    for (const i of [1, 2]) {
      const s = await quorumOn(lab, i);
      expect(s?.quorate).toBe(true);
      expect(s?.flags).toContain('Qdevice');
      expect(s?.qdeviceVotes).toBe(1);
      expect(flagsOf(s)).toEqual(expect.arrayContaining(['A', 'V']));
      expect((await lab.exec(i, 'grep -c two_node /etc/corosync/corosync.conf')).stdout.trim()).toBe('0');
    }
    const qnetd = await lab.exec(3, 'corosync-qnetd-tool -l');
    expect(qnetd.stdout).toMatch(/Cluster "duo"/);
    let out = '';
    const code = await runStatusCommand(
      ['duo', '--json'],
      {
        stdout: (t) => {
          out += t;
        },
        stderr: () => {},
        readStdin: async () => '',
      },
      { ctx: ops.ctx },
    );
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['expectedVotes', 'nodes', 'qdevice', 'quorate', 'quorum', 'totalVotes']);
    expect(json).toMatchObject({
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      qdevice: { host: addr(3), flags: expect.arrayContaining(['A', 'V']) },
    });
    expect(json.nodes).toEqual([
      { name: 'node1', nodeid: 1, votes: 1, online: true },
      { name: 'node2', nodeid: 2, votes: 1, online: true },
    ]);
  });

  it('keeps the other node quorate, with flags A,V, when one node is cut off', async () => {
    await lab.cut(2);
    try {
      const s = await waitQuorumOn(lab, 1, (q) => q.members.length === 1, 60_000);
      expect(s.quorate).toBe(true);
      expect(flagsOf(s)).toEqual(expect.arrayContaining(['A', 'V']));
      const isolated = await waitQuorumOn(lab, 2, (q) => !q.quorate, 60_000);
      expect(isolated.quorate).toBe(false);
    } finally {
      await lab.heal(2);
    }
    await waitQuorumOn(lab, 1, (q) => q.members.length === 2 && q.quorate && (q.qdeviceVotes ?? 0) > 0, 60_000);
    await waitQuorumOn(lab, 2, (q) => q.quorate, 60_000);
  });

  it('keeps both nodes quorate when qnetd goes down (the QDevice vote drops: NV)', async () => {
    expect((await lab.exec(3, stopServiceScript('corosync-qnetd'))).exitCode).toBe(0);
    try {
      for (const i of [1, 2]) {
        const s = await waitQuorumOn(lab, i, (q) => flagsOf(q).includes('NV'), 60_000);
        expect(s.quorate).toBe(true);
        expect(s.members).toHaveLength(2);
      }
    } finally {
      expect((await lab.exec(3, startServiceScript('corosync-qnetd'))).exitCode).toBe(0);
    }
    await waitQuorumOn(lab, 1, (q) => flagsOf(q).includes('V') && q.quorate, 60_000);
  });

  it('joins two nodes while a QDevice is configured, as one plan: QDevice off, join, QDevice on again', async () => {
    const r = await joinCluster(ops.ctx, {
      name: 'duo',
      machines: [addr(4), addr(5)],
      links: { 1: `198.18.${lab.id}.128/25` },
    });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    const ids = r.value.plan.steps.map((s) => s.id);
    expect(ids.findIndex((i) => i.startsWith('stop-qdevice'))).toBeLessThan(
      ids.findIndex((i) => i.startsWith('start-corosync')),
    );
    expect(ids.findLastIndex((i) => i.startsWith('start-qdevice'))).toBeGreaterThan(
      ids.findLastIndex((i) => i.startsWith('start-corosync')),
    );
    for (const i of [1, 2, 4, 5]) {
      const s = await waitQuorumOn(lab, i, (q) => q.members.length === 4 && (q.qdeviceVotes ?? 0) > 0, 60_000);
      expect(s).toMatchObject({ quorate: true, expectedVotes: 5, totalVotes: 5, quorum: 3 });
      expect(flagsOf(s)).toEqual(expect.arrayContaining(['A', 'V']));
    }
    expect((await lab.exec(3, 'corosync-qnetd-tool -l')).stdout).toMatch(/Node ID 4/);
  });

  it('removes the QDevice', async () => {
    const r = await removeQdevice(ops.ctx, { name: 'duo' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    for (const i of [1, 2, 4, 5]) {
      const s = await quorumOn(lab, i);
      expect(s?.quorate).toBe(true);
      expect(s?.qdeviceVotes).toBeNull();
      expect(s?.expectedVotes).toBe(4);
      expect((await lab.exec(i, 'grep -c "device {" /etc/corosync/corosync.conf')).stdout.trim()).toBe('0');
    }
    const st = await clusterStatus(ops.ctx, 'duo');
    expect(st.ok && st.value.qdevice).toBeNull();
  });
});
