/**
 * The dashboard's truth follows corosync (issue 9 §1, §2), through the real service, real agents
 * and real corosync + qnetd in the lab, in one app run and without a restart: join, QDevice setup,
 * a corosync.conf change made by hand, a clean `corosync-cfgtool -H` on one node of 4 + QDevice (one
 * "left", no quorum lost), a cut and heal (no NOT-quorate status on the survivors), QDevice removal
 * and node removal. Delays from each change to the status showing it are printed, never asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus, OperationPlan, QuorateEvents } from '../../../engine/api/contract';
import type { QuorateService } from '../../../engine/api/service';
import { LOSS_SETTLE_MS } from '../../../engine/monitor';
import { startServiceScript } from '../../../engine/ops/scripts';
import type { Result } from '../../../engine/result';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import { addTrustBootstrap, createLabCluster, openLabService, planAndRun, until, type LabService } from './lab-service';

const support = labSupport();
if (!support.ok) {
  console.log(`watch-live lab test skipped: ${support.reason}`);
}

let lab: Lab;
let opened: LabService;
let service: QuorateService;
let notices: LabService['notices'];
const statuses: { at: number; status: ClusterStatus }[] = [];
const CLUSTER = 'live';

async function status(): Promise<ClusterStatus> {
  const s = await service.handlers.clusterStatus({ cluster: CLUSTER });
  if (!s.ok) {
    throw new Error(s.error.message);
  }
  return s.value;
}

async function run(plan: () => Promise<Result<OperationPlan>>): Promise<void> {
  const { outcome } = await planAndRun(service, plan);
  if (!outcome.ok) {
    throw new Error(JSON.stringify(outcome.error));
  }
}

const names = (s: ClusterStatus): string[] => s.nodes.map((n) => n.name);
const online = (s: ClusterStatus): string[] => s.nodes.filter((n) => n.online).map((n) => n.name);

describe.skipIf(!support.ok)('the dashboard follows corosync without a restart (4 nodes + QDevice)', () => {
  beforeAll(async () => {
    lab = await labUp({ hosts: 5 });
    opened = openLabService('watch-live');
    ({ service, notices } = opened);
    service.events.subscribe((event, payload) => {
      if (event === 'onDidChangeQuorum') {
        statuses.push({ at: Date.now(), status: (payload as QuorateEvents['onDidChangeQuorum']).status });
      }
    });
    await addTrustBootstrap(service, lab.hosts);
    await createLabCluster(service, lab, CLUSTER, lab.hosts.slice(0, 3));
  }, 240_000);
  afterAll(async () => {
    await opened?.dispose();
    await lab?.down();
  });

  it('shows a joined node at once, and online once corosync has it', async () => {
    await run(() => service.handlers.planJoinCluster({ cluster: CLUSTER, addresses: [lab.host(4).address] }));
    const done = Date.now();
    const list = await service.handlers.listClusters();
    expect(list.ok && list.value.find((c) => c.name === CLUSTER)?.nodes).toEqual(['node1', 'node2', 'node3', 'node4']);
    expect(names(await status())).toEqual(['node1', 'node2', 'node3', 'node4']);
    await until('node4 online', async () => (online(await status()).length === 4 ? true : undefined), 60_000);
    console.log(`join: 4 nodes online on the status ${Date.now() - done} ms after the plan finished`);
    expect(await status()).toMatchObject({ expectedVotes: 4, quorum: 3, canLose: 1 });
  });

  it('shows a QDevice just set up, with its vote', async () => {
    await run(() =>
      service.handlers.planSetupQdevice({
        cluster: CLUSTER,
        host: lab.host(5).address,
        algorithm: 'ffsplit',
        consentOddCount: false,
      }),
    );
    const done = Date.now();
    const list = await service.handlers.listClusters();
    expect(list.ok && list.value.find((c) => c.name === CLUSTER)?.hasQdevice).toBe(true);
    const s = await until(
      'QDevice voting',
      async () => {
        const st = await status();
        return st.qdevice && /\bV\b/.test(st.qdevice.flags) && st.totalVotes === 5 ? st : undefined;
      },
      90_000,
    );
    console.log(`qdevice: vote on the status ${Date.now() - done} ms after the plan finished`);
    expect(s.qdevice).toMatchObject({ host: lab.host(5).address, algorithm: 'ffsplit', votes: 1 });
    expect(s.nodes).toHaveLength(4);
  });

  it('shows a nodelist change made by hand on node1 (copied to the others, corosync-cfgtool -R)', async () => {
    const original = (await lab.exec(1, 'cat /etc/corosync/corosync.conf')).stdout;
    const bump = (text: string, by: number): string =>
      text.replace(/config_version:\s*(\d+)/, (_, v: string) => `config_version: ${Number(v) + by}`);
    const extra = `  node {\n    name: node9\n    nodeid: 9\n    quorum_votes: 1\n    ring0_addr: 198.18.${lab.id}.9\n  }\n`;
    const edited = bump(
      original.replace(/nodelist\s*\{\n/, (m) => `${m}${extra}`),
      1,
    );
    const install = async (text: string): Promise<number> => {
      for (const i of [1, 2, 3, 4]) {
        const up = await lab.host(i).runner.upload('/etc/corosync/corosync.conf', text, 0o644);
        expect(up.ok).toBe(true);
      }
      const reloaded = Date.now();
      expect((await lab.exec(1, 'corosync-cfgtool -R')).exitCode).toBe(0);
      return reloaded;
    };
    const t1 = await install(edited);
    const withNine = await until(
      'node9 on the status',
      async () => {
        const st = await status();
        return names(st).includes('node9') ? st : undefined;
      },
      30_000,
    );
    console.log(`hand edit: node9 on the status ${Date.now() - t1} ms after corosync-cfgtool -R`);
    expect(withNine.nodes.find((n) => n.name === 'node9')).toMatchObject({ nodeid: 9, online: false, machine: null });
    const t2 = await install(bump(original, 2));
    await until('node9 gone', async () => (names(await status()).includes('node9') ? undefined : true), 30_000);
    console.log(`hand edit undone: node9 gone ${Date.now() - t2} ms after corosync-cfgtool -R`);
  });

  it('a clean corosync-cfgtool -H on node4: one "left" (info), no quorum lost, never NOT quorate', async () => {
    await until('healthy', async () => ((await status()).state === 'quorate' ? true : undefined), 60_000);
    const from = notices.length;
    const fromStatus = statuses.length;
    const stopped = Date.now();
    expect((await lab.exec(4, 'corosync-cfgtool -H', { timeoutMs: 30_000 })).exitCode).toBe(0);
    await until('node4 offline', async () => (online(await status()).includes('node4') ? undefined : true), 30_000);
    console.log(`clean stop: node4 offline on the status ${Date.now() - stopped} ms after corosync-cfgtool -H`);
    // Longer than the quorum-loss debounce, so a false "quorum lost" would have fired by now.
    await new Promise((r) => setTimeout(r, LOSS_SETTLE_MS + 2000));
    const since = notices.slice(from).map((n) => `${n.kind} ${n.node ?? ''} ${n.severity}`.trim());
    const word = notices.slice(from)[0];
    // How long the word waited for node4's own agent (the monitor waits up to DEPARTURE_WAIT_MS).
    console.log(`clean stop: "${word?.kind}" decided ${word ? word.at - stopped : '-'} ms after corosync-cfgtool -H`);
    expect(since).toEqual(['node-left node4 info']);
    expect(statuses.slice(fromStatus).filter((s) => s.status.quorate === false)).toEqual([]);
    expect(await status()).toMatchObject({ quorate: true, state: 'degraded' });

    for (const service of ['corosync', 'corosync-qdevice'] as const) {
      const r = await lab.exec(4, startServiceScript(service), { timeoutMs: 60_000 });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    await until('node4 back', async () => ((await status()).state === 'quorate' ? true : undefined), 90_000);
  });

  it('cut and heal node4: lost (warning) then back, and no NOT-quorate status on the survivors', async () => {
    const from = notices.length;
    const fromStatus = statuses.length;
    await lab.cut(4);
    try {
      await until('node4 offline', async () => (online(await status()).includes('node4') ? undefined : true), 60_000);
    } finally {
      await lab.heal(4);
    }
    const healed = Date.now();
    await until(
      'node4 online again',
      async () => {
        const st = await status();
        return st.state === 'quorate' && online(st).length === 4 ? true : undefined;
      },
      90_000,
    );
    console.log(`heal: quorate with node4 on the status ${Date.now() - healed} ms after the link came back`);
    await new Promise((r) => setTimeout(r, 2000));
    expect(statuses.slice(fromStatus).filter((s) => s.status.quorate === false)).toEqual([]);
    const kinds = notices.slice(from).map((n) => `${n.kind} ${n.node ?? ''}`.trim());
    expect(kinds).toEqual(['node-lost node4', 'node-joined node4']);
    expect(notices.slice(from).some((n) => n.kind === 'quorum-lost')).toBe(false);
  });

  it('shows the QDevice gone, then a removed node gone, at once', async () => {
    await run(() => service.handlers.planRemoveQdevice({ cluster: CLUSTER }));
    let list = await service.handlers.listClusters();
    expect(list.ok && list.value.find((c) => c.name === CLUSTER)?.hasQdevice).toBe(false);
    await until('no QDevice on the status', async () => ((await status()).qdevice === null ? true : undefined), 30_000);

    expect((await lab.exec(4, 'corosync-cfgtool -H', { timeoutMs: 30_000 })).exitCode).toBe(0);
    await until('node4 offline', async () => (online(await status()).includes('node4') ? undefined : true), 30_000);
    await run(() => service.handlers.planRemoveNode({ cluster: CLUSTER, node: 'node4', force: false }));
    list = await service.handlers.listClusters();
    expect(list.ok && list.value.find((c) => c.name === CLUSTER)?.nodes).toEqual(['node1', 'node2', 'node3']);
    const s = await until(
      '3 nodes, expected 3',
      async () => {
        const st = await status();
        return names(st).length === 3 && st.expectedVotes === 3 ? st : undefined;
      },
      30_000,
    );
    expect(s).toMatchObject({ quorate: true, state: 'quorate', quorum: 2 });
  });
});
