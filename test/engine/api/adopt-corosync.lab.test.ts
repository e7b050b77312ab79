/**
 * Issue 11, test 1: a 3-node plain corosync cluster made WITHOUT Quorate (the lab writes authkey and
 * a pcs-style corosync.conf with a name Proxmox would refuse, and starts corosync), then adopted
 * from one member; status equals corosync-quorumtool -s; a QDevice on a 4th host; cut one → the
 * other two stay quorate; join a 5th; remove it. Real SSH, real corosync and qnetd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdoptService } from '../../../engine/api/service-adopt';
import { joinCluster, removeNode, setupQdevice } from '../../../engine/ops/operations';
import type { OpsContext } from '../../../engine/ops/operations';
import { createStatusService } from '../../../engine/api/service-status';
import { startServiceScript, stopServiceScript } from '../../../engine/ops/scripts';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { labAdoptService, labOps, quorumOn, waitQuorumOn, type LabOps } from '../ops/lab-ops';

/** The service's one-shot status reader over the test's operations context. */
const clusterStatus = (ctx: OpsContext, cluster: string) =>
  createStatusService({ context: () => ctx, now: Date.now }).readClusterStatus({ cluster });

const support = labSupport();

/** pcs's layout (ring0_addr first, 4-space indent, blank lines between nodes, logging last). */
function pcsConf(lab: Lab, hosts: number[]): string {
  const nodes = hosts
    .map(
      (i) =>
        `    node {\n        ring0_addr: ${lab.host(i).address}\n        name: ${lab.host(i).name}\n        nodeid: ${i}\n    }\n`,
    )
    .join('\n');
  return `totem {\n    version: 2\n    cluster_name: ha_cluster\n    transport: knet\n    crypto_cipher: aes256\n    crypto_hash: sha256\n    cluster_uuid: 5c1d6b0e2f8a4d1c9e7b3a5f0d2c4e6a\n}\n\nnodelist {\n${nodes}}\n\nquorum {\n    provider: corosync_votequorum\n}\n\nlogging {\n    to_logfile: yes\n    logfile: /var/log/cluster/corosync.log\n    to_syslog: yes\n    timestamp: on\n}\n`;
}

describe.skipIf(!support.ok)('adopt a plain corosync cluster made without Quorate', () => {
  let lab: Lab;
  let ops: LabOps;
  let adopt: AdoptService;
  const addr = (i: number): string => lab.host(i).address;

  beforeAll(async () => {
    lab = await labUp({ hosts: 5 });
    ops = labOps(lab, { verbose: process.env.QUORATE_LAB_VERBOSE === '1' });
    adopt = labAdoptService(lab, ops);
    // By hand, the way pcs lays it out: one authkey, one file, corosync started on each node.
    const key = await lab.exec(
      1,
      'corosync-keygen -l -k /etc/corosync/authkey >/dev/null 2>&1; base64 -w0 /etc/corosync/authkey',
    );
    const conf = pcsConf(lab, [1, 2, 3]);
    for (const i of [1, 2, 3]) {
      const r = await lab.exec(
        i,
        `set -e; mkdir -p /var/log/cluster; base64 -d > /etc/corosync/authkey <<< '${key.stdout.trim()}'; chmod 400 /etc/corosync/authkey; cat > /etc/corosync/corosync.conf; ${startServiceScript('corosync', 30)}`,
        { stdin: conf, timeoutMs: 60_000 },
      );
      expect(r.exitCode, r.stderr).toBe(0);
    }
    for (const i of [1, 2, 3]) {
      await waitQuorumOn(lab, i, (q) => q.quorate && q.members.length === 3, 60_000);
    }
    // The qnetd host: installed corosync-qnetd, nothing configured (Quorate sets it up).
  }, 180_000);
  afterAll(async () => {
    await lab?.down();
    ops?.cleanup();
  });

  it('adopts it from one member: name, nodes with machines, every check passes, the name rule only warns', async () => {
    const r = await adopt.adoptCluster({ from: addr(1) });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value).toMatchObject({ name: 'ha_cluster', provider: 'corosync', configVersion: 0 });
    expect(r.value.nodes).toEqual(
      [1, 2, 3].map((i) => ({ name: `node${i}`, nodeid: i, addresses: [addr(i)], machine: addr(i), online: true })),
    );
    const status = Object.fromEntries(r.value.findings.map((f) => [f.id, f.status]));
    expect(status).toMatchObject({
      'conf-same': 'pass',
      'authkey-same': 'pass',
      'corosync-running': 'pass',
      'expected-votes': 'pass',
      'nodes-joined': 'pass',
      'machines-known': 'pass',
      'conf-check': 'warn',
    });
    expect(r.value.findings.find((f) => f.id === 'conf-check')!.message).toMatch(/Proxmox VE would refuse/);
  });

  it('status on the adopted cluster equals corosync-quorumtool -s', async () => {
    const st = await clusterStatus(ops.ctx, 'ha_cluster');
    if (!st.ok) {
      throw new Error(JSON.stringify(st.error));
    }
    const q = (await quorumOn(lab, 1))!;
    expect(st.value).toMatchObject({
      quorate: q.quorate,
      expectedVotes: q.expectedVotes,
      totalVotes: q.totalVotes,
      quorum: q.quorum,
    });
    expect(
      st.value.nodes
        .filter((n) => n.online)
        .map((n) => n.name)
        .sort(),
    ).toEqual(q.members.map((m) => m.name).sort());
  });

  it('a QDevice on a 4th host, then cut one node: the other two stay quorate', async () => {
    const r = await setupQdevice(ops.ctx, { name: 'ha_cluster', host: addr(4), algorithm: 'lms', consent: true });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    const withQ = await waitQuorumOn(lab, 1, (q) => q.qdeviceVotes !== null && q.qdeviceVotes > 0, 90_000);
    expect(withQ.quorate).toBe(true);
    await lab.cut(3);
    try {
      for (const i of [1, 2]) {
        const s = await waitQuorumOn(lab, i, (q) => q.members.length === 2, 90_000);
        expect(s.quorate).toBe(true);
      }
    } finally {
      await lab.heal(3);
    }
    await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 90_000);
  }, 300_000);

  it('joins a 5th node to the adopted cluster, then removes it', async () => {
    // Pre-flight measures latency for real; on this loaded 2-core machine a sample can exceed 5 ms.
    let j = await joinCluster(ops.ctx, { name: 'ha_cluster', machines: [addr(5)] });
    for (
      let i = 0;
      i < 6 && !j.ok && j.error.code === 'preflight.failed' && /latency|jitter/.test(j.error.message);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10_000));
      j = await joinCluster(ops.ctx, { name: 'ha_cluster', machines: [addr(5)] });
    }
    if (!j.ok) {
      throw new Error(JSON.stringify(j.error));
    }
    const four = await waitQuorumOn(lab, 1, (q) => q.members.length === 4, 90_000);
    expect(four.quorate).toBe(true);
    // Quorate removes a node once it is off (a live member is refused): stop its corosync first.
    expect((await lab.exec(5, stopServiceScript('corosync'), { timeoutMs: 60_000 })).exitCode).toBe(0);
    await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 90_000);
    const rm = await removeNode(ops.ctx, { name: 'ha_cluster', node: 'node5' });
    if (!rm.ok) {
      throw new Error(JSON.stringify(rm.error));
    }
    const back = await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 90_000);
    expect(back.quorate).toBe(true);
    expect((await lab.exec(1, 'grep -c "name: node5" /etc/corosync/corosync.conf')).stdout.trim()).toBe('0');
  }, 600_000);
});
