/**
 * The API service against the lab: real sshd, the real agent, real corosync. Add and trust three
 * machines, bootstrap them, pre-flight, plan and create a cluster, then watch it: link health per
 * pair (a cut node's links down on the survivors), cut two nodes →
 * quorum lost (notice and timeline), heal → regained. Measures the delay from the surviving node's
 * own view changing to the notice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice, QuorateEvents } from '../../../engine/api/contract';
import type { QuorateService } from '../../../engine/api/service';
import { createQuorateService } from '../../../engine/api/service';
import { memorySecrets } from '../../../engine/store';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import { until } from './lab-service';

const support = labSupport();
if (!support.ok) {
  console.log(`service lab test skipped: ${support.reason}`);
}

let lab: Lab;
let home: string;
let service: QuorateService;
const notices: Notice[] = [];

describe.skipIf(!support.ok)('the API service on the lab', () => {
  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    home = mkdtempSync(join(tmpdir(), 'quorate-service-lab-'));
    service = createQuorateService({ home, secrets: memorySecrets(), sshTimeoutMs: 10_000 });
    service.events.subscribe((event, payload) => {
      if (event === 'onDidNotify') {
        notices.push(payload as QuorateEvents['onDidNotify']);
      }
    });
  });
  afterAll(async () => {
    await service?.dispose();
    await lab?.down();
    if (home) {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('adds, trusts and bootstraps three machines', async () => {
    const h = service.handlers;
    for (const host of lab.hosts) {
      const added = await h.addMachine({
        address: host.address,
        user: 'root',
        auth: { kind: 'password', password: host.rootPassword },
      });
      expect(added.ok ? added.value.state : added.error).toBe('untrusted');
      if (!added.ok) {
        return;
      }
      const trusted = await h.trustMachine({ address: host.address, fingerprint: added.value.hostKey!.fingerprint });
      expect(trusted.ok ? trusted.value : trusted.error).toMatchObject({ state: 'trusted', hostname: host.name });
    }
    const boot = await h.bootstrap({ addresses: lab.hosts.map((x) => x.address) });
    expect(boot.ok ? boot.value.machines.map((m) => (m.ok ? 'ok' : m.error?.message)) : boot.error).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    const list = await h.listMachines();
    expect(list.ok && list.value.map((m) => m.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('lists the lab network and passes pre-flight on it', async () => {
    const h = service.handlers;
    const addresses = lab.hosts.map((x) => x.address);
    const nets = await h.listNetworks({ addresses });
    const network = `198.18.${lab.id}.0/24`;
    expect(nets.ok && nets.value[0]).toMatchObject({
      network,
      addresses: Object.fromEntries(lab.hosts.map((x) => [x.address, x.address])),
    });
    const report = await h.runPreflight({ addresses, links: [{ linknumber: 0, network }], mode: 'create' });
    expect(report.ok).toBe(true);
    if (!report.ok) {
      return;
    }
    expect(report.value.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.value.versions.map((v) => v.hostname)).toEqual(lab.hosts.map((x) => x.name));
  });

  it('plans and creates a cluster, then reports it quorate', async () => {
    const h = service.handlers;
    const network = `198.18.${lab.id}.0/24`;
    const plan = await h.planCreateCluster({
      name: 'lab',
      nodes: lab.hosts.map((x) => ({ address: x.address })),
      links: [{ linknumber: 0, network }],
    });
    expect(plan.ok).toBe(true);
    if (!plan.ok) {
      return;
    }
    expect(plan.value.after).toMatchObject({ expectedVotes: 3, quorum: 2, canLose: 1 });
    const run = await h.runPlan({ planId: plan.value.id });
    expect(run.ok ? (run.value.error ?? run.value.ok) : run.error).toBe(true);
    const status = await until(
      'quorate status',
      async () => {
        const s = await h.clusterStatus({ cluster: 'lab' });
        return s.ok && s.value.state === 'quorate' ? s.value : undefined;
      },
      30_000,
    );
    expect(status.nodes.map((n) => n.online)).toEqual([true, true, true]);
    expect(status).toMatchObject({ quorate: true, expectedVotes: 3, quorum: 2 });
  });

  it("reports link health for every pair, and a cut node's links down on the survivors", async () => {
    const h = service.handlers;
    const names = lab.hosts.map((x) => x.name);
    const pairs = names.flatMap((a) => names.filter((b) => b !== a).map((b) => `${a}->${b}`)).sort();
    const linkStates = async (): Promise<Map<string, string>> => {
      const s = await h.clusterStatus({ cluster: 'lab' });
      return new Map(
        s.ok ? s.value.links.filter((l) => l.linknumber === 0).map((l) => [`${l.a}->${l.b}`, l.state]) : [],
      );
    };
    const allUp = async (): Promise<Map<string, string> | undefined> => {
      const m = await linkStates();
      return pairs.every((p) => m.get(p) === 'up') ? m : undefined;
    };
    const healthy = await until('every pair up on link 0', allUp, 30_000, 100);
    expect([...healthy.keys()].sort()).toEqual(pairs);
    const s = await h.clusterStatus({ cluster: 'lab' });
    expect(s.ok && s.value.links.every((l) => l.rttMs === null)).toBe(true);

    const cut = lab.hosts[2]!.name;
    const survivors = names.filter((n) => n !== cut);
    await lab.cut(3);
    try {
      const down = await until(
        `${cut} down on ${survivors.join(' and ')}`,
        async () => {
          const m = await linkStates();
          // The cut node's own side is never shown as up: its last report is stale (unknown) or gone.
          const cutSideUp = [...m].some(([pair, state]) => pair.startsWith(`${cut}->`) && state === 'up');
          return survivors.every((a) => m.get(`${a}->${cut}`) === 'down') && !cutSideUp ? m : undefined;
        },
        30_000,
      );
      // The survivors still reach each other.
      expect(survivors.map((a) => down.get(`${a}->${survivors.find((b) => b !== a)}`))).toEqual(['up', 'up']);
    } finally {
      await lab.heal(3);
    }
    await until('every pair up again after heal', allUp, 60_000, 100);
  });

  it('raises quorum lost when two nodes are cut, and regained when they are back', async () => {
    const before = notices.length;
    await lab.cut(2);
    await lab.cut(3);
    const lost = await until(
      'quorum-lost notice',
      () => notices.slice(before).find((n) => n.kind === 'quorum-lost'),
      60_000,
    );
    expect(lost.cluster).toBe('lab');
    expect(lost.guidance.join(' ')).toMatch(/expected votes/i);
    expect((await service.handlers.listNotices()).ok).toBe(true);
    const afterLost = notices.length;
    await lab.heal(2);
    await lab.heal(3);
    const regained = await until(
      'quorum-regained notice',
      () => notices.slice(afterLost).find((n) => n.kind === 'quorum-regained'),
      90_000,
    );
    expect(regained.cluster).toBe('lab');
    const timeline = await service.handlers.listTimeline({ cluster: 'lab' });
    expect(timeline.ok && timeline.value.map((e) => e.text)).toEqual(
      expect.arrayContaining(['lab: quorum lost', 'lab: quorum regained']),
    );
    const active = await service.handlers.listNotices();
    expect(active.ok && active.value.filter((n) => n.kind === 'quorum-lost')).toEqual([]);
  });

  it('refuses a machine whose host key changed, saying so', async () => {
    const host = lab.hosts[2]!;
    await lab.regenerateHostKeys(host.index);
    const again = await service.handlers.addMachine({
      address: host.address,
      user: 'root',
      auth: { kind: 'password', password: host.rootPassword },
    });
    expect(again.ok ? again.value : again.error).toMatchObject({ code: 'ssh.host-key-changed' });
    if (!again.ok) {
      expect(again.error.message).toContain('has changed');
    }
    const list = await service.handlers.listMachines();
    expect(list.ok && list.value.find((m) => m.address === host.address)?.state).toBe('failed');
  });
});
