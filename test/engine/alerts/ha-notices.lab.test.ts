/**
 * Issue 14 §3 end to end on the Proxmox VE stand-in (real corosync, shared /etc/pve, ha-manager,
 * qm, pvesh stand-ins; test/lab/pve/): the window's whole service over 3 nodes made with pvecm and
 * adopted, with a JSON webhook channel on a real local HTTP server. A migration Quorate runs that
 * finishes, and one that fails half-way on the node (the stand-in's MIGRATE_FAIL), each reach the
 * timeline and the webhook; then the node of an HA guest is cut: "waiting to be fenced" and, once
 * the stand-in's HA manager recovered the guest elsewhere, "recovered on <node>" do too, each once.
 * One lab; the HA status is read every second here (10 s in the app).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../../engine/api/contract';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { waitQuorumOn } from '../ops/lab-ops';
import { openLabService, until, type LabService } from '../api/lab-service';
import { startHttpReceiver, type HttpReceiver } from './servers';
import { pvecmCluster } from '../api/pve-lab';

const support = labSupport();

describe.skipIf(!support.ok)('Proxmox HA and migration notices reach the timeline and a push channel', () => {
  let lab: Lab;
  let app: LabService;
  let hook: HttpReceiver;
  const addr = (i: number): string => lab.host(i).address;
  const conf = (node: string, id: number, text: string) =>
    lab.exec(1, `printf '%s' '${text}' > /etc/pve/nodes/${node}/qemu-server/${id}.conf`);
  const pushed = (kind: string) =>
    hook.received.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((b) => b.kind === kind);
  const timeline = async (kind: string): Promise<TimelineEntry[]> => {
    const t = await app.service.handlers.listTimeline({ cluster: 'pvelab', limit: 200 });
    return t.ok ? t.value.filter((e) => e.kind === kind) : [];
  };

  beforeAll(async () => {
    hook = await startHttpReceiver();
    lab = await labUp({ hosts: 3, pve: [1, 2, 3] });
    await pvecmCluster(lab, 'pvelab', [1, 2, 3]);
    await conf('node3', 100, 'name: web\nmemory: 2048\nscsi0: ceph:vm-100-disk-0,size=32G\n');
    await conf('node2', 103, 'name: spare\nmemory: 1024\nscsi0: ceph:vm-103-disk-0,size=8G\n');
    app = openLabService('hanotify', { haPollMs: 1_000 });
    const h = app.service.handlers;
    for (const host of lab.hosts) {
      const added = await h.addMachine({
        address: host.address,
        user: 'root',
        auth: { kind: 'password', password: host.rootPassword },
      });
      expect(added.ok, JSON.stringify(added)).toBe(true);
      const t = await h.trustMachine({
        address: host.address,
        fingerprint: added.ok ? added.value.hostKey!.fingerprint : '',
      });
      expect(t.ok, JSON.stringify(t)).toBe(true);
    }
    const ch = await h.addAlertChannel({
      kind: 'webhook',
      url: `${hook.url}/ha`,
      events: ['failover', 'ha-error', 'fencing-pending', 'migration-finished', 'migration-failed'],
    });
    expect(ch.ok, JSON.stringify(ch)).toBe(true);
    const adopted = await h.adoptCluster({ from: addr(1) });
    expect(adopted.ok, JSON.stringify(adopted)).toBe(true);
    const added = await h.haAdd({ cluster: 'pvelab', vm: '100' });
    expect(added.ok && added.value, JSON.stringify(added)).toMatchObject({ id: 'vm:100', node: 'node3' });
  }, 600_000);
  afterAll(async () => {
    await app?.dispose();
    await lab?.down();
    await hook?.close();
  });

  it('a finished migration: "VM 103 migrated from node2 to node3" on the timeline and the webhook', async () => {
    const m = await app.service.handlers.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node3' });
    expect(m.ok && m.value.status, JSON.stringify(m)).toBe('migrated');
    const entry = await until('the timeline entry', async () => (await timeline('migration-finished'))[0], 10_000);
    expect(entry.text).toBe('VM 103 migrated from node2 to node3 (pvelab)');
    const [push] = await until(
      'the webhook',
      () => (pushed('migration-finished').length ? pushed('migration-finished') : undefined),
      20_000,
    );
    expect(push).toMatchObject({
      cluster: 'pvelab',
      node: 'node3',
      resource: 'vm:103',
      source: 'Quorate on this desktop',
    });
    expect(push!.title).toBe('pvelab: vm:103 migrated to node3');
  }, 120_000);

  it('a migration that fails on the node: "still on node3", on the timeline and the webhook, once', async () => {
    // The stand-in's half-way failure (test/lab/pve/guest-tools.ts MIGRATE_FAIL on the source node):
    // the transfer aborts as qemu-server aborts one, and the config stays on the source.
    const fail = '/run/pve-standin/migrate-fail-103';
    expect((await lab.exec(3, `mkdir -p /run/pve-standin && touch ${fail}`)).exitCode).toBe(0);
    try {
      const m = await app.service.handlers.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 103, to: 'node1' });
      expect(m.ok && [m.value.status, m.value.node], JSON.stringify(m)).toEqual(['failed', 'node3']);
    } finally {
      await lab.exec(3, `rm -f ${fail}`);
    }
    const entry = await until('the timeline entry', async () => (await timeline('migration-failed'))[0], 10_000);
    expect(entry.text).toBe('Migration of VM 103 to node1 failed: VM 103 is still on node3 (pvelab)');
    expect(entry.severity).toBe('warning');
    await until('the webhook', () => (pushed('migration-failed').length ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(pushed('migration-failed')).toHaveLength(1);
    expect(pushed('migration-failed')[0]!.title).toBe('pvelab: migration of vm:103 to node1 failed');
  }, 120_000);

  it('cutting the node of an HA guest: "waiting to be fenced", then "VM 100 recovered on <node>", each once on the timeline and the webhook', async () => {
    const h = app.service.handlers;
    // The guest of a node that is not the CRM master, so the master stays and the fence phase shows.
    const before = (await lab.exec(1, 'ha-manager status')).stdout;
    const master = /^master (\S+) /m.exec(before)?.[1];
    let lost = /^service vm:100 \((\S+), /m.exec(before)?.[1];
    expect(lost, before).toMatch(/^node[123]$/);
    if (lost === master) {
      const other = ['node1', 'node2', 'node3'].find((n) => n !== master)!;
      const m = await h.pveMigrate({ cluster: 'pvelab', kind: 'vm', id: 100, to: other });
      expect(m.ok && [m.value.status, m.value.via], JSON.stringify(m)).toEqual(['migrated', 'ha-manager']);
      lost = other;
    }
    const cut = Number(lost!.replace('node', ''));
    const survivor = [1, 2, 3].find((i) => i !== cut)!;
    await lab.cut(cut);
    await waitQuorumOn(lab, survivor, (q) => q.quorate && q.members.length === 2, 90_000);
    const fencing = await until(
      'the fencing timeline entry',
      async () => (await timeline('ha-fencing-pending'))[0],
      90_000,
      500,
    );
    expect(fencing.text).toBe(`${lost} is waiting to be fenced; VM 100 waits for recovery (pvelab)`);
    expect(app.notices.find((n) => n.kind === 'ha-fencing-pending')).toMatchObject({ node: lost, severity: 'warning' });
    const recovered = await until(
      'the recovery timeline entry',
      async () => (await timeline('ha-recovered'))[0],
      180_000,
      500,
    );
    const to = new RegExp(`^VM 100 recovered on (node[123]) after ${lost} was lost \\(pvelab\\)$`).exec(
      recovered.text,
    )?.[1];
    expect(to, recovered.text).toBeDefined();
    expect(to).not.toBe(lost);
    expect((await lab.exec(survivor, 'ha-manager status')).stdout).toContain(`service vm:100 (${to}, started)`);
    await until('the failover push', () => (pushed('failover').length ? true : undefined), 20_000);
    expect(pushed('failover')[0]).toMatchObject({
      node: to,
      resource: 'vm:100',
      title: `pvelab: vm:100 recovered on ${to}`,
    });
    // The fencing is over now: the open notice goes by the HA status.
    await until(
      'the fencing notice closed',
      async () => {
        const open = await h.listNotices();
        return open.ok && !open.value.some((n) => n.kind === 'ha-fencing-pending') ? true : undefined;
      },
      20_000,
    );
    // More reads of the same state: still one of each, one push each.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(app.notices.filter((n) => n.kind === 'ha-fencing-pending')).toHaveLength(1);
    expect(app.notices.filter((n) => n.kind === 'ha-recovered')).toHaveLength(1);
    expect(pushed('fencing-pending')).toHaveLength(1);
    expect(pushed('fencing-pending')[0]).toMatchObject({
      node: lost,
      title: `pvelab: ${lost} is waiting to be fenced`,
    });
    expect(pushed('failover')).toHaveLength(1);
  }, 300_000);
});
