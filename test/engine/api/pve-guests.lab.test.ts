/**
 * Issue 14 on the Proxmox VE stand-in (test/lab/pve/: real corosync, shared /etc/pve, qm/pct/pvesh/
 * ha-manager stand-ins): 3 nodes made with pvecm → adopted → guests listed per node → a VM added to
 * HA → a stopped VM migrated (verified where it is afterwards) → the pre-checks' refusals: local disk
 * without --with-local-disks, `cpu: host` online across CPU vendors, target offline. The HA
 * requirements (shared storage from storage.cfg, consent for a local-disk guest, consent below three
 * votes after a delnode), `ha set`, the task log streamed while a migration runs, and a migration that
 * fails half-way (the stand-in's MIGRATE_FAIL hook) read back on its source. One lab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HaService } from '../../../engine/api/service-ha';
import type { PveApi } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import type { PveMigrateProgress } from '../../../engine/api/contract';
import { MIGRATE_FAIL, MIGRATE_HOLD } from '../../lab/pve/guest-tools';
import { labSupport, type Lab } from '../../lab/lab';
import { waitQuorumOn } from '../ops/lab-ops';
import { pveLabUp, type PveLab } from './pve-lab';

const support = labSupport();
const INTEL = 'Intel Xeon E5-2680 v4';
const AMD = 'AMD EPYC 7302P 16-Core Processor';

describe.skipIf(!support.ok)('Proxmox guests, HA and migration on a 3-node stand-in', () => {
  let t: PveLab;
  let lab: Lab;
  let pve: PveApi;
  let ha: HaService;
  const hub = createEventHub();
  const progress: PveMigrateProgress[] = [];
  hub.subscribe((event, payload) => {
    if (event === 'onDidPveMigrateProgress') {
      progress.push(payload as PveMigrateProgress);
    }
  });
  const conf = (node: string, kind: 'qemu-server' | 'lxc', id: number, text: string) => t.conf(node, kind, id, text);

  beforeAll(async () => {
    t = await pveLabUp({ pveHost: (i) => ({ cpuModel: i === 3 ? AMD : INTEL, memTotalMiB: 16384 }), events: hub });
    ({ lab, pve, ha } = t);
    // Storages as `pvesm add` leaves them: the two local defaults and a Ceph RBD pool (shared).
    expect(
      (
        await lab.exec(
          1,
          `printf 'dir: local\\n\\tpath /var/lib/vz\\n\\nlvmthin: local-lvm\\n\\tthinpool data\\n\\tvgname pve\\n\\nrbd: ceph\\n\\tpool vms\\n' > /etc/pve/storage.cfg && mkdir -p /run/pve-standin`,
        )
      ).exitCode,
    ).toBe(0);
    for (const i of [2, 3]) {
      await lab.exec(i, 'mkdir -p /run/pve-standin');
    }
    // Guests as `qm create` / `pct create` leave them in the shared /etc/pve.
    await conf('node1', 'qemu-server', 100, 'name: web\nmemory: 2048\nscsi0: ceph:vm-100-disk-0,size=32G\n');
    await conf('node1', 'qemu-server', 101, 'name: db\nmemory: 2048\nscsi0: local-lvm:vm-101-disk-0,size=32G\n');
    await conf(
      'node1',
      'qemu-server',
      102,
      'name: build\nmemory: 4096\ncpu: host\nscsi0: ceph:vm-102-disk-0,size=32G\n',
    );
    await conf('node2', 'qemu-server', 103, 'name: spare\nmemory: 1024\nscsi0: ceph:vm-103-disk-0,size=8G\n');
    await conf('node2', 'lxc', 200, 'hostname: dns\nmemory: 512\nrootfs: ceph:vm-200-disk-0,size=8G\n');
    expect((await lab.exec(1, 'echo 0 > /run/qemu-server/102.pid')).exitCode).toBe(0);
  }, 600_000);
  afterAll(async () => {
    await t?.down();
  });

  it('lists the guests per node with status and HA', async () => {
    const r = await pve.pveGuests({ cluster: 'pvelab' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.guests.map((g) => [g.id, g.kind, g.name, g.node, g.status, g.ha])).toEqual([
      [100, 'vm', 'web', 'node1', 'stopped', false],
      [101, 'vm', 'db', 'node1', 'stopped', false],
      [102, 'vm', 'build', 'node1', 'running', false],
      [103, 'vm', 'spare', 'node2', 'stopped', false],
      [200, 'ct', 'dns', 'node2', 'stopped', false],
    ]);
  }, 120_000);

  it('adds a VM to HA: ha-manager status shows it, the engine is pve-ha', async () => {
    const a = await ha.haAdd({ cluster: 'pvelab', vm: '100' });
    if (!a.ok) {
      throw new Error(JSON.stringify(a.error));
    }
    expect(a.value).toMatchObject({ id: 'vm:100', node: 'node1', state: 'started' });
    const s = await ha.haStatus({ cluster: 'pvelab' });
    expect(s.ok && s.value.engine).toBe('pve-ha');
    expect(s.ok && s.value.resources.map((x) => [x.id, x.node])).toEqual([['vm:100', 'node1']]);
    const again = await ha.haAdd({ cluster: 'pvelab', vm: '100' });
    expect(!again.ok && again.error.message).toMatch(/already/);
    const g = await pve.pveGuests({ cluster: 'pvelab' });
    expect(g.ok && g.value.guests.find((x) => x.id === 100)?.ha).toBe(true);
  }, 120_000);

  it('migrates a stopped VM (qm) and an HA one (ha-manager), verified where they are afterwards', async () => {
    const plan = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node3', plan: true });
    expect(plan.ok && plan.value.status).toBe('planned');
    expect(plan.ok && plan.value.checks.some((c) => c.by === 'proxmox')).toBe(true);
    expect((await lab.exec(2, 'ls /etc/pve/nodes/node2/qemu-server/')).stdout).toContain('103.conf');
    const m = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node3' });
    expect(m.ok && [m.value.status, m.value.via, m.value.node], JSON.stringify(m)).toEqual(['migrated', 'qm', 'node3']);
    expect((await lab.exec(1, 'ls /etc/pve/nodes/node3/qemu-server/')).stdout).toContain('103.conf');
    const h = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 100, to: 'node2' });
    expect(h.ok && [h.value.status, h.value.via, h.value.node], JSON.stringify(h)).toEqual([
      'migrated',
      'ha-manager',
      'node2',
    ]);
  }, 180_000);

  it('refuses a local disk without --with-local-disks and cpu: host online across vendors', async () => {
    const d = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 101, to: 'node2' });
    expect(d.ok && d.value.status).toBe('refused');
    expect(d.ok && d.value.checks.filter((c) => c.result === 'fail').map((c) => c.id)).toEqual(['proxmox.local-disks']);
    const c = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 102, to: 'node3', online: true });
    expect(c.ok && c.value.status).toBe('refused');
    expect(c.ok && c.value.checks.find((x) => x.id === 'quorate.cpu')?.result).toBe('fail');
    // Same vendor: fine (but it is not migrated here, only planned).
    const same = await pve.pveMigrate({
      cluster: 'pvelab',
      kind: 'vm',
      id: 102,
      to: 'node2',
      online: true,
      plan: true,
    });
    expect(same.ok && same.value.checks.filter((x) => x.result === 'fail')).toEqual([]);
    expect((await lab.exec(1, 'ls /etc/pve/nodes/node1/qemu-server/')).stdout).toMatch(/101\.conf[\s\S]*102\.conf/);
  }, 180_000);

  it('shows the HA requirements first and adds a local-disk VM only with consent', async () => {
    const r = await ha.haRequirements({ cluster: 'pvelab', vm: '101' });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    expect(r.value.checks.map((c) => [c.id, c.result])).toEqual([
      ['ha.votes', 'pass'],
      ['ha.shared-storage', 'fail'],
      ['ha.watchdog', 'warn'],
      ['ha.hardware', 'unchecked'],
    ]);
    expect(r.value.consentNeeded).toEqual(['localDisks']);
    const refused = await ha.haAdd({ cluster: 'pvelab', vm: '101' });
    expect(!refused.ok && refused.error.code).toBe('ha.local-disks');
    expect(!refused.ok && refused.error.hint).toContain('--allow-local-disks');
    expect((await lab.exec(1, 'cat /etc/pve/ha/resources.cfg')).stdout).not.toMatch(/vm: 101/);
    const added = await ha.haAdd({ cluster: 'pvelab', vm: '101', allowLocalDisks: true });
    expect(added.ok && [added.value.id, added.value.requirements?.[1]?.result], JSON.stringify(added)).toEqual([
      'vm:101',
      'warn',
    ]);
    const none = await ha.haRequirements({ cluster: 'pvelab', vm: '999' });
    expect(!none.ok && none.error.code).toBe('ha.unknown-guest');
  }, 120_000);

  it('sets requested states with ha-manager set; an unknown resource is refused', async () => {
    const stop = await ha.haSet({ cluster: 'pvelab', id: 'vm:101', state: 'stopped' });
    expect(stop.ok && [stop.value.requested, stop.value.resource?.state], JSON.stringify(stop)).toEqual([
      'stopped',
      'stopped',
    ]);
    expect((await lab.exec(2, 'cat /etc/pve/ha/resources.cfg')).stdout).toMatch(/vm: 101\n\tstate stopped/);
    const ign = await ha.haSet({ cluster: 'pvelab', id: 'vm:101', state: 'ignored' });
    expect(ign.ok && ign.value.resource?.state).toBe('unmanaged');
    const start = await ha.haSet({ cluster: 'pvelab', id: 'vm:101', state: 'started' });
    expect(start.ok && start.value.resource?.state).toBe('started');
    const unknown = await ha.haSet({ cluster: 'pvelab', id: 'vm:555', state: 'started' });
    expect(!unknown.ok && unknown.error.code).toBe('ha.unknown-resource');
  }, 120_000);

  it('streams the task log while qm migrate runs; a migration failing half-way leaves the guest on its source', async () => {
    // VM 103 is on node3 since the migration above. Held mid-transfer: the first line arrives while
    // the config is still on node3, i.e. the log is streamed, not handed over at the end.
    expect((await lab.exec(3, `touch ${MIGRATE_HOLD(103)}`)).exitCode).toBe(0);
    progress.length = 0;
    const first = new Promise<void>((resolve) => {
      const off = hub.subscribe((event) => {
        if (event === 'onDidPveMigrateProgress') {
          off();
          resolve();
        }
      });
    });
    const running = pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node2' });
    await first;
    expect((await lab.exec(1, 'ls /etc/pve/nodes/node3/qemu-server/')).stdout).toContain('103.conf');
    expect(progress[0]).toMatchObject({ cluster: 'pvelab', kind: 'vm', id: 103, node: 'node3' });
    expect(progress[0]?.line).toMatch(/starting migration of VM 103 to node 'node2'/);
    await lab.exec(3, `rm -f ${MIGRATE_HOLD(103)}`);
    const done = await running;
    expect(done.ok && [done.value.status, done.value.node], JSON.stringify(done)).toEqual(['migrated', 'node2']);
    expect(done.ok && done.value.log).toEqual(progress.map((p) => p.line));

    // Back to node3, failing half-way: refused by nothing, aborted by qm, read back on node2.
    expect((await lab.exec(2, `touch ${MIGRATE_FAIL(103)}`)).exitCode).toBe(0);
    progress.length = 0;
    const f = await pve.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node3' });
    await lab.exec(2, `rm -f ${MIGRATE_FAIL(103)}`);
    if (!f.ok) {
      throw new Error(JSON.stringify(f.error));
    }
    expect([f.value.status, f.value.node]).toEqual(['failed', 'node2']);
    expect(f.value.message).toMatch(/failed half-way: migration aborted .*VM 103 is still on node2, where it was/);
    expect(progress.some((p) => /ERROR: online migrate failure/.test(p.line))).toBe(true);
    expect((await lab.exec(1, 'ls /etc/pve/nodes/node2/qemu-server/')).stdout).toContain('103.conf');
  }, 180_000);

  it('refuses an offline target', async () => {
    await lab.cut(3);
    await waitQuorumOn(lab, 1, (q) => q.quorate && q.members.length === 2, 90_000);
    const r = await pve.pveMigrate({ cluster: 'pvelab', kind: 'ct', id: 200, to: 'node3' });
    expect(r.ok && r.value.status, JSON.stringify(r)).toBe('refused');
    expect(r.ok && r.value.checks.filter((c) => c.result === 'fail').map((c) => c.id)).toContain(
      'quorate.target-online',
    );
  }, 180_000);

  it('below three votes (node3 deleted) explains and adds only with consent', async () => {
    const d = await lab.exec(1, 'pvecm delnode node3', { timeoutMs: 120_000 });
    expect(d.exitCode, `${d.stdout}\n${d.stderr}`).toBe(0);
    const refused = await ha.haAdd({ cluster: 'pvelab', ct: '200' });
    expect(!refused.ok && [refused.error.code, refused.error.hint]).toEqual([
      'ha.few-votes',
      expect.stringContaining('--allow-few-votes'),
    ]);
    expect(!refused.ok && refused.error.message).toMatch(/2 votes \(2 nodes\).*loses quorum/);
    const added = await ha.haAdd({ cluster: 'pvelab', ct: '200', allowFewVotes: true });
    expect(added.ok && [added.value.id, added.value.requirements?.[0]?.result], JSON.stringify(added)).toEqual([
      'ct:200',
      'warn',
    ]);
  }, 180_000);
});
