/**
 * The 3-node Proxmox VE stand-in cluster the pve lab tests share: three lab hosts made stand-in
 * nodes, `pvecm create pvelab` on node1, `pvecm add` on node2 and node3, all quorate, adopted into a
 * fresh Quorate state folder (provider pve), with the pve and HA use cases wired to real SSH.
 */
import { expect } from 'vitest';
import type { Machine, PveApi } from '../../../engine/api/contract';
import { createAdoptService } from '../../../engine/api/service-adopt';
import { createHaService, type HaService } from '../../../engine/api/service-ha';
import { createPveService } from '../../../engine/api/service-pve';
import { createEventHub, type EventHub } from '../../../engine/api/event-hub';
import { ok, type Result } from '../../../engine/result';
import type { RootSession } from '../../../engine/ssh';
import type { CommandRunner } from '../../../engine/ssh/runner';
import { labUp, type Lab } from '../../lab/lab';
import type { PveHostOptions } from '../../lab/pve/install';
import { labOps, waitQuorumOn, type LabOps } from '../ops/lab-ops';

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
    const c = await lab.exec(1, `cd && pvecm create pvelab --link0 ${addr(1)}`, { timeoutMs: 120_000 });
    expect(c.exitCode, c.stderr).toBe(0);
    for (const i of [2, 3]) {
      const a = await lab.exec(i, `cd && pvecm add ${addr(1)} --link0 ${addr(i)} --use_ssh 1`, { timeoutMs: 180_000 });
      expect(a.exitCode, `${a.stdout}\n${a.stderr}`).toBe(0);
      // pvecm add asks the first node, which must be quorate again with the new member.
      await waitQuorumOn(lab, 1, (q) => q.quorate && q.members.length === i, 90_000);
    }
    for (const i of [1, 2, 3]) {
      await waitQuorumOn(lab, i, (s) => s.quorate && s.members.length === 3, 90_000);
    }
    const adopt = createAdoptService({
      home: ops.home,
      now: Date.now,
      machines: {
        listMachines: async () =>
          ok(lab.hosts.map((h) => ({ address: h.address, trusted: true, hostname: h.name }) as unknown as Machine)),
        connect: rootSession,
      },
    });
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
