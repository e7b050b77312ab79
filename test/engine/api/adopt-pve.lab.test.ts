/**
 * Issue 11, test 2, on the Proxmox VE stand-in (test/lab/pve/, real corosync and qnetd): a 2-node
 * cluster made with its own `pvecm create` / `pvecm add` → adopted → one node cut → the survivor is
 * inquorate (adopting again still works and says which node is gone) → expected votes with typed
 * confirmation (`pvecm expected 1`) → heal → a QDevice through `pvecm qdevice setup` → cut again →
 * the survivor stays quorate with the QDevice's vote (A,V).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdoptService } from '../../../engine/api/service-adopt';
import { setExpected, setupQdevice } from '../../../engine/ops/operations';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { authorizeKeys, standinKeys } from '../../lab/pve/install';
import { labAdoptService, labOps, waitQuorumOn, type LabOps } from '../ops/lab-ops';
import { pvecmCluster } from './pve-lab';

const support = labSupport();

describe.skipIf(!support.ok)('adopt a 2-node Proxmox VE (stand-in) cluster and get it through a node loss', () => {
  let lab: Lab;
  let ops: LabOps;
  let adopt: AdoptService;
  const addr = (i: number): string => lab.host(i).address;

  beforeAll(async () => {
    lab = await labUp({ hosts: 3, pve: [1, 2] });
    ops = labOps(lab);
    adopt = labAdoptService(lab, ops);
    // Host 3 is the spare with corosync-qnetd installed and running, reachable by the nodes' root keys.
    await authorizeKeys(lab, 3, await standinKeys(lab, [1, 2]));
    const q = await lab.exec(
      3,
      'corosync-qnetd-certutil -i >/dev/null && chown -R coroqnetd:coroqnetd /etc/corosync/qnetd && mkdir -p /run/quorate /var/log/quorate && (setsid nohup corosync-qnetd -f -d >>/var/log/quorate/corosync-qnetd.log 2>&1 & echo $! > /run/quorate/corosync-qnetd.pid)',
      { timeoutMs: 30_000 },
    );
    expect(q.exitCode, q.stderr).toBe(0);
    // The cluster as the Proxmox web UI / pvecm makes it, without Quorate.
    await pvecmCluster(lab, 'pvelab', [1, 2]);
  }, 400_000);
  afterAll(async () => {
    await lab?.down();
    ops?.cleanup();
  });

  it('adopts it: provider pve, /etc/pve/corosync.conf read, both nodes online', async () => {
    const r = await adopt.adoptCluster({ from: addr(1) });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value).toMatchObject({ name: 'pvelab', provider: 'pve', configVersion: 2 });
    expect(r.value.nodes.map((n) => [n.name, n.machine, n.online])).toEqual([
      ['node1', addr(1), true],
      ['node2', addr(2), true],
    ]);
    expect(r.value.findings.find((f) => f.id === 'conf-same')!.message).toContain('/etc/pve/corosync.conf');
  });

  it('a cut node: the survivor is inquorate; adopting again updates and names the missing node', async () => {
    await lab.cut(2);
    const s = await waitQuorumOn(lab, 1, (q) => q.members.length === 1, 60_000);
    expect(s.quorate).toBe(false);
    // pmxcfs's rule: /etc/pve is read-only on the inquorate survivor. The stand-in's pmxcfs notices
    // the loss on its next poll (1 s), so give it a few polls after corosync has reported it.
    let touched = 0;
    for (let i = 0; i < 30 && touched === 0; i++) {
      touched = (await lab.exec(1, 'touch /etc/pve/x')).exitCode ?? 1;
      if (touched === 0) {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(touched).not.toBe(0);
    const r = await adopt.adoptCluster({ from: addr(1) });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.nodes.find((n) => n.name === 'node2')!.online).toBe(false);
    const joined = r.value.findings.find((f) => f.id === 'nodes-joined')!;
    expect(joined).toMatchObject({ status: 'warn' });
    expect(joined.message).toContain('node2');
    expect(r.value.findings.find((f) => f.id === 'member-unreachable')?.message).toContain(addr(2));
  }, 120_000);

  it('guided expected votes: a wrong confirmation is refused, the typed name makes the survivor quorate', async () => {
    const wrong = await setExpected(ops.ctx, { name: 'pvelab', votes: 1, confirm: 'pvelba' });
    expect(!wrong.ok && wrong.error.code).toBe('ops.confirm-mismatch');
    const r = await setExpected(ops.ctx, { name: 'pvelab', votes: 1, confirm: 'pvelab' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    const s = await waitQuorumOn(lab, 1, (q) => q.quorate, 30_000);
    expect(s.expectedVotes).toBe(1);
    const again = await adopt.adoptCluster({ from: addr(1) });
    expect(again.ok && again.value.findings.find((f) => f.id === 'expected-votes')?.status).toBe('warn');
  }, 120_000);

  it('heal, then a QDevice through pvecm qdevice setup; cut again: the survivor stays quorate (A,V)', async () => {
    await lab.heal(2);
    for (const i of [1, 2]) {
      await waitQuorumOn(lab, i, (q) => q.quorate && q.members.length === 2, 90_000);
    }
    const r = await setupQdevice(ops.ctx, { name: 'pvelab', host: addr(3), consent: true });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect((await lab.exec(2, 'cat /etc/pve/corosync.conf')).stdout).toMatch(/model: net/);
    await waitQuorumOn(lab, 1, (q) => (q.qdeviceVotes ?? 0) > 0, 120_000);
    await lab.cut(2);
    try {
      const s = await waitQuorumOn(lab, 1, (q) => q.members.length === 1, 90_000);
      expect(s.quorate).toBe(true);
      expect(s.members[0]!.qdeviceFlags).toEqual(expect.arrayContaining(['A', 'V']));
    } finally {
      await lab.heal(2);
    }
  }, 400_000);
});
