/**
 * Issue 11, test 3, on the Proxmox VE stand-in: a 3-node cluster made with pvecm, adopted; a 4th node
 * joined through Quorate (which runs `pvecm add … --use_ssh 1` there) — refused while it holds a
 * guest, with nothing changed — then joined; a stopped node removed (`pvecm delnode`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdoptService } from '../../../engine/api/service-adopt';
import { joinCluster, removeNode } from '../../../engine/ops/operations';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { labAdoptService, labOps, waitQuorumOn, type LabOps } from '../ops/lab-ops';
import { pvecmCluster } from './pve-lab';

const support = labSupport();

describe.skipIf(!support.ok)('a 3-node Proxmox VE (stand-in) cluster: adopt, join a 4th, delnode a stopped one', () => {
  let lab: Lab;
  let ops: LabOps;
  let adopt: AdoptService;
  const addr = (i: number): string => lab.host(i).address;
  const conf = async (): Promise<string> => (await lab.exec(1, 'cat /etc/pve/corosync.conf')).stdout;

  beforeAll(async () => {
    lab = await labUp({
      hosts: 4,
      pve: true,
      pveHost: (i) => (i === 4 ? { guests: [{ vmid: 101, name: 'db', kind: 'lxc' }] } : {}),
    });
    ops = labOps(lab);
    adopt = labAdoptService(lab, ops);
    await pvecmCluster(lab, 'pve3', [1, 2, 3]);
  }, 500_000);
  afterAll(async () => {
    await lab?.down();
    ops?.cleanup();
  });

  it('adopts it', async () => {
    const r = await adopt.adoptCluster({ from: addr(2) });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value).toMatchObject({ name: 'pve3', provider: 'pve', configVersion: 3 });
    expect(r.value.nodes.every((n) => n.online && n.machine !== null)).toBe(true);
  });

  it('a 4th node holding a guest is refused, nothing changes; without it, it joins through pvecm', async () => {
    const before = await conf();
    const refused = await joinCluster(ops.ctx, { name: 'pve3', machines: [addr(4)] });
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(!refused.ok && refused.error)).toMatch(/guest|101/);
    expect(await conf()).toBe(before);
    expect((await lab.exec(4, 'test -f /etc/pve/corosync.conf')).exitCode).not.toBe(0);
    await lab.exec(4, 'rm -f /etc/pve/nodes/node4/lxc/101.conf');
    let j = await joinCluster(ops.ctx, { name: 'pve3', machines: [addr(4)] });
    // Pre-flight measures latency for real; on this loaded 2-core machine a sample can exceed 5 ms.
    for (
      let i = 0;
      i < 6 && !j.ok && j.error.code === 'preflight.failed' && /latency|jitter/.test(j.error.message);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10_000));
      j = await joinCluster(ops.ctx, { name: 'pve3', machines: [addr(4)] });
    }
    if (!j.ok) {
      throw new Error(JSON.stringify(j.error));
    }
    await waitQuorumOn(lab, 1, (q) => q.members.length === 4, 120_000);
    expect(await conf()).toMatch(/name: node4/);
  }, 600_000);

  it('delnode of a stopped node: gone from /etc/pve/corosync.conf, config_version bumped', async () => {
    const v = Number(/config_version: (\d+)/.exec(await conf())![1]);
    expect((await lab.exec(3, 'pve-standin-service stop corosync', { timeoutMs: 60_000 })).exitCode).toBe(0);
    await waitQuorumOn(lab, 1, (q) => q.members.length === 3, 90_000);
    const r = await removeNode(ops.ctx, { name: 'pve3', node: 'node3' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    const after = await conf();
    expect(after).not.toMatch(/name: node3/);
    expect(Number(/config_version: (\d+)/.exec(after)![1])).toBe(v + 1);
    // Quorate with the three left (corosync keeps the highest expected votes it has seen: 4).
    const s = await waitQuorumOn(lab, 1, (q) => q.quorate && q.members.length === 3, 60_000);
    expect(s.members.map((m) => m.name).sort()).toEqual(['node1', 'node2', 'node4']);
  }, 300_000);
});
