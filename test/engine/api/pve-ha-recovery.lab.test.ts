/**
 * Issue 14 on the Proxmox VE stand-in's HA manager (test/lab/pve/ha-daemon.ts, ha-crm.ts), one lab
 * of 3 stand-in nodes (pve-lab.ts, over real corosync):
 *  - cut the node of an HA guest → the CRM master on the quorate side shows it `fence`, waits for
 *    the lost node's agent lock to expire, recovers it on another node; `quorate ha status` and the
 *    guests list show it there, running; the cut node (inquorate) no longer runs it;
 *  - Quorate's maintenance of a pve node moves its HA guests away (node-maintenance enable: the VM
 *    migrated, the CT relocated) and leaving maintenance brings them back.
 * The stand-in's timings are the lab's (fence delay 3 s, lock lifetime 15 s), not Proxmox's
 * (≈ 60 s watchdog + 120 s lock): the test measures nothing, it only waits generously.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaintenanceService } from '../../../engine/api/service-maintenance';
import { labSupport } from '../../lab/lab';
import { waitQuorumOn } from '../ops/lab-ops';
import { until } from './lab-service';
import { pveLabUp, type PveLab } from './pve-lab';

const support = labSupport();

interface Line {
  readonly node: string;
  readonly state: string;
}

function serviceLine(text: string, sid: string): Line | null {
  const m = new RegExp(`^service ${sid} \\(([^,]+), ([^)]+)\\)$`, 'm').exec(text);
  return m ? { node: m[1]!, state: m[2]! } : null;
}

const nodeIndex = (node: string): number => Number(node.replace('node', ''));
const marker = (sid: string): string =>
  sid.startsWith('vm:') ? `/run/qemu-server/${sid.slice(3)}.pid` : `/run/lxc/${sid.slice(3)}.running`;

describe.skipIf(!support.ok)('HA recovery and node maintenance on a 3-node Proxmox stand-in', () => {
  let t: PveLab;
  const status = async (host: number): Promise<string> => (await t.lab.exec(host, 'ha-manager status')).stdout;
  /** ha-manager status is read at most once a second (the stand-in CRM works in rounds of seconds). */
  const EVERY_MS = 1000;
  const runsOn = async (host: number, sid: string): Promise<boolean> =>
    (await t.lab.exec(host, `test -e ${marker(sid)}`)).exitCode === 0;

  beforeAll(async () => {
    t = await pveLabUp();
    await t.conf('node1', 'qemu-server', 100, 'name: web\nmemory: 2048\nscsi0: ceph:vm-100-disk-0,size=32G\n');
    await t.conf('node2', 'lxc', 200, 'hostname: dns\nmemory: 512\nrootfs: ceph:vm-200-disk-0,size=8G\n');
    for (const [vm, ct] of [
      ['100', undefined],
      [undefined, '200'],
    ] as const) {
      const a = await t.ha.haAdd({ cluster: 'pvelab', ...(vm ? { vm } : {}), ...(ct ? { ct } : {}) });
      expect(a.ok && a.value.state, JSON.stringify(a)).toBe('started');
    }
    // The LRMs start them (running markers), the CRM master writes manager_status.
    await until(
      'both HA guests running',
      async () => ((await runsOn(1, 'vm:100')) && (await runsOn(2, 'ct:200')) ? true : undefined),
      60_000,
      EVERY_MS,
    );
  }, 600_000);
  afterAll(async () => {
    await t?.down();
  });

  it('recovers the HA guest of a cut node on another node after the fence delay', async () => {
    const before = await status(1);
    const master = /^master (\S+) \(active/m.exec(before)?.[1];
    expect(master, before).toMatch(/^node[123]$/);
    // The guest of a node that is not the master: the master stays and the `fence` phase is visible.
    const sid = serviceLine(before, 'vm:100')?.node !== master ? 'vm:100' : 'ct:200';
    const lost = serviceLine(before, sid)!.node;
    const survivor = [1, 2, 3].find((i) => `node${i}` !== lost)!;
    await t.lab.cut(nodeIndex(lost));
    const cutAt = Date.now();
    const seen: string[] = [];
    const final = await until(
      `${sid} started on a node other than ${lost}`,
      async () => {
        const l = serviceLine(await status(survivor), sid);
        if (l && seen.at(-1) !== `${l.node} ${l.state}`) {
          seen.push(`${l.node} ${l.state}`);
        }
        return l && l.node !== lost && l.state === 'started' ? l : undefined;
      },
      180_000,
      EVERY_MS,
    );
    // A figure for the notes, not an assertion (this machine is busy).
    console.log(`${sid}: ${seen.join(' → ')} (${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut)`);
    expect(seen, seen.join(' → ')).toContain(`${lost} fence`);
    expect(seen.indexOf(`${lost} fence`)).toBeLessThan(seen.length - 1);
    // Config moved between node folders; the guest runs there and not on the cut node.
    const kind = sid.startsWith('vm:') ? 'qemu-server' : 'lxc';
    const ls = await t.lab.exec(survivor, `ls /etc/pve/nodes/${final.node}/${kind}/ /etc/pve/nodes/${lost}/${kind}/`);
    expect(ls.stdout).toMatch(new RegExp(`${final.node}/${kind}/:\\n${sid.slice(3)}\\.conf`));
    await until(
      'the new node runs it',
      async () => ((await runsOn(nodeIndex(final.node), sid)) ? true : undefined),
      30_000,
      EVERY_MS,
    );
    expect(await runsOn(nodeIndex(lost), sid)).toBe(false);
    expect((await t.lab.exec(nodeIndex(lost), 'ha-manager status')).stdout).toMatch(/^quorum No quorum/m);
    // Quorate's own views: ha status and the guests list.
    const h = await t.ha.haStatus({ cluster: 'pvelab' });
    expect(h.ok && h.value.resources.find((r) => r.id === sid), JSON.stringify(h)).toMatchObject({
      node: final.node,
      state: 'started',
    });
    const g = await t.pve.pveGuests({ cluster: 'pvelab' });
    const guest = g.ok ? g.value.guests.find((x) => `${x.kind}:${x.id}` === sid) : undefined;
    expect(guest, JSON.stringify(g)).toMatchObject({ node: final.node, status: 'running', ha: true });
    // Heal: the node rejoins and stays without the guest.
    await t.lab.heal(nodeIndex(lost));
    for (const i of [1, 2, 3]) {
      await waitQuorumOn(t.lab, i, (q) => q.quorate && q.members.length === 3, 120_000);
    }
    // pmxcfs makes its /etc/pve writable again within its next poll.
    await until(
      `${lost} quorate for ha-manager`,
      async () =>
        /^quorum OK/m.test((await t.lab.exec(nodeIndex(lost), 'ha-manager status')).stdout) ? true : undefined,
      30_000,
      EVERY_MS,
    );
    expect(await runsOn(nodeIndex(lost), sid)).toBe(false);
  }, 400_000);

  it('maintenance of a pve node moves its HA guests away and leaving brings them back', async () => {
    const maint = createMaintenanceService({ home: t.ops.home, connect: t.connect, drainTimeoutMs: 120_000 });
    // Both guests on one node first (through HA, as a user would).
    const node = serviceLine(await status(1), 'vm:100')!.node;
    const ct = serviceLine(await status(1), 'ct:200')!;
    if (ct.node !== node) {
      const r = await t.lab.exec(1, `ha-manager relocate ct:200 ${node}`);
      expect(r.exitCode, r.stderr).toBe(0);
      await until(
        'ct:200 next to vm:100',
        async () => {
          const l = serviceLine(await status(1), 'ct:200');
          return l?.node === node && l.state === 'started' ? true : undefined;
        },
        60_000,
        EVERY_MS,
      );
    }
    const on = await maint.setMaintenance({ cluster: 'pvelab', node, enable: true, confirm: 'pvelab' });
    if (!on.ok) {
      throw new Error(JSON.stringify(on.error));
    }
    expect(on.value.engine).toBe('pve-ha');
    expect([...on.value.moved].sort()).toEqual(['ct:200', 'vm:100']);
    expect(on.value.stuck).toEqual([]);
    const away = await status(1);
    expect(away).toMatch(new RegExp(`^lrm ${node} \\(maintenance mode`, 'm'));
    for (const sid of ['vm:100', 'ct:200']) {
      const l = serviceLine(away, sid)!;
      expect(l.node).not.toBe(node);
      await until(
        `${sid} running on ${l.node}`,
        async () => ((await runsOn(nodeIndex(l.node), sid)) ? true : undefined),
        30_000,
        EVERY_MS,
      );
      expect(await runsOn(nodeIndex(node), sid)).toBe(false);
    }
    const off = await maint.setMaintenance({ cluster: 'pvelab', node, enable: false });
    if (!off.ok) {
      throw new Error(JSON.stringify(off.error));
    }
    expect([...off.value.moved].sort()).toEqual(['ct:200', 'vm:100']);
    const back = await status(1);
    expect(serviceLine(back, 'vm:100')).toEqual({ node, state: 'started' });
    expect(serviceLine(back, 'ct:200')).toEqual({ node, state: 'started' });
    expect(back).not.toMatch(/maintenance mode/);
  }, 400_000);
});
