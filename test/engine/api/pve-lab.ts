/**
 * The 3-node Proxmox VE stand-in cluster the pve lab tests share: three lab hosts made stand-in
 * nodes, `pvecm create pvelab` on node1, `pvecm add` on node2 and node3, all quorate, adopted into a
 * fresh Quorate state folder (provider pve), with the pve and HA use cases wired to real SSH.
 */
import { expect } from 'vitest';
import type { PveApi } from '../../../engine/api/contract';
import { createHaService, type HaService } from '../../../engine/api/service-ha';
import { createPveService } from '../../../engine/api/service-pve';
import { createEventHub, type EventHub } from '../../../engine/api/event-hub';
import { ok, type Result } from '../../../engine/result';
import type { RootSession } from '../../../engine/ssh';
import type { CommandRunner } from '../../../engine/ssh/runner';
import { labUp, type Lab } from '../../lab/lab';
import type { PveHostOptions } from '../../lab/pve/install';
import { labAdoptService, labOps, waitQuorumOn, type LabOps } from '../ops/lab-ops';

export interface PveLab {
  readonly lab: Lab;
  readonly ops: LabOps;
  readonly pve: PveApi;
  readonly ha: HaService;
  connect(machine: string): Promise<Result<CommandRunner>>;
  addr(i: number): string;
  /** Write a guest config into the shared /etc/pve (as `qm create` / `pct create` leave it). */
  conf(node: string, kind: 'qemu-server' | 'lxc', id: number, text: string): Promise<void>;
  down(): Promise<void>;
}

export interface PveLabOptions {
  readonly pveHost?: (i: number) => PveHostOptions;
  /** The event hub the pve use cases publish on (migration progress). */
  readonly events?: EventHub;
}

/**
 * The cluster as the Proxmox web UI / pvecm makes it, without Quorate: `pvecm create NAME` on the
 * first host, `pvecm add` on each other one in turn (each asks the first node, which must be quorate
 * again with the new member), then every host quorate with all of them.
 */
export async function pvecmCluster(lab: Lab, name: string, hosts: readonly number[]): Promise<void> {
  const [first, ...rest] = hosts;
  const at = lab.host(first!).address;
  const c = await lab.exec(first!, `cd && pvecm create ${name} --link0 ${at}`, { timeoutMs: 120_000 });
  expect(c.exitCode, c.stderr).toBe(0);
  for (const [k, i] of rest.entries()) {
    const a = await lab.exec(i, `cd && pvecm add ${at} --link0 ${lab.host(i).address} --use_ssh 1`, {
      timeoutMs: 180_000,
    });
    expect(a.exitCode, `${a.stdout}\n${a.stderr}`).toBe(0);
    await waitQuorumOn(lab, first!, (q) => q.quorate && q.members.length === k + 2, 90_000);
  }
  for (const i of hosts) {
    await waitQuorumOn(lab, i, (q) => q.quorate && q.members.length === hosts.length, 90_000);
  }
}

export async function pveLabUp({ pveHost, events }: PveLabOptions = {}): Promise<PveLab> {
  const lab = await labUp({ hosts: 3, pve: [1, 2, 3], ...(pveHost ? { pveHost } : {}) });
  const ops = labOps(lab);
  const addr = (i: number): string => lab.host(i).address;
  const rootSession = async (m: string) => {
    const r = await ops.ctx.connect(m);
    return r.ok ? ok(r.value as unknown as RootSession) : r;
  };
  let ha: HaService | undefined;
  const down = async (): Promise<void> => {
    await ha?.dispose();
    await lab.down();
    ops.cleanup();
  };
  try {
    await pvecmCluster(lab, 'pvelab', [1, 2, 3]);
    const adopt = labAdoptService(lab, ops);
    const r = await adopt.adoptCluster({ from: addr(1) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    ha = createHaService({ home: ops.home, events: createEventHub(), now: Date.now, connect: rootSession });
    const haService = ha;
    return {
      lab,
      ops,
      pve: createPveService({ home: ops.home, connect: rootSession, ...(events ? { events } : {}) }),
      ha: haService,
      connect: (m) => ops.ctx.connect(m),
      addr,
      async conf(node, kind, id, text) {
        const w = await lab.exec(1, `printf '%s' '${text}' > /etc/pve/nodes/${node}/${kind}/${id}.conf`);
        expect(w.exitCode, w.stderr).toBe(0);
      },
      down,
    };
  } catch (e) {
    await down();
    throw e;
  }
}
