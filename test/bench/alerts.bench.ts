/**
 * Push alert delay on real corosync in the lab: from corosync's membership change (the moment
 * `corosync-quorumtool -s` on a surviving node first shows the smaller membership, polled every
 * 50 ms inside that node, so the figure may be up to ~70 ms long) to a webhook receiver on the lab's
 * root address receiving the alert. Three cases: sent by the agents with the desktop running, sent
 * by the desktop (its monitor), and sent by the agents with the desktop stopped. Each also as a ratio
 * to corosync's own time from the cut to that membership change, measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QuorateService } from '../../engine/api/service';
import { createQuorateService } from '../../engine/api/service';
import { memorySecrets } from '../../engine/store';
import { startHttpReceiver } from '../engine/alerts/servers';
import type { Lab } from '../lab/lab';
import { labSupport, labUp } from '../lab/lab';
import type { BenchFigure } from './run';

const NAMES = [
  'alert delay, agents, desktop running',
  'alert delay, desktop monitor',
  'alert delay, agents, desktop stopped',
  'same, as ratio to corosync cut→membership',
];

async function setUp(lab: Lab, home: string): Promise<QuorateService> {
  const service = createQuorateService({ home, secrets: memorySecrets(), sshTimeoutMs: 10_000 });
  const h = service.handlers;
  for (const host of lab.hosts) {
    const a = await h.addMachine({
      address: host.address,
      user: 'root',
      auth: { kind: 'password', password: host.rootPassword },
    });
    if (!a.ok) {
      throw new Error(a.error.message);
    }
    await h.trustMachine({ address: host.address, fingerprint: a.value.hostKey!.fingerprint });
  }
  await h.bootstrap({ addresses: lab.hosts.map((x) => x.address) });
  const plan = await h.planCreateCluster({
    name: 'bench',
    nodes: lab.hosts.map((x) => ({ address: x.address })),
    links: [{ linknumber: 0, network: `198.18.${lab.id}.0/24` }],
  });
  if (!plan.ok) {
    throw new Error(plan.error.message);
  }
  const run = await h.runPlan({ planId: plan.value.id });
  if (!run.ok || !run.value.ok) {
    throw new Error(`create failed: ${JSON.stringify(run)}`);
  }
  return service;
}

/** Epoch ms when node `watcher` first sees `votes` total votes (polled inside it), or NaN. */
function membershipChange(lab: Lab, watcher: number, votes: number): Promise<number> {
  return lab
    .exec(
      watcher,
      `for i in $(seq 1 1200); do corosync-quorumtool -s 2>/dev/null | grep -Eq '^Total votes: +${votes}$' && { date +%s%3N; exit 0; }; sleep 0.05; done; exit 1`,
      { timeoutMs: 90_000 },
    )
    .then((r) => Number(r.stdout.trim()));
}

async function until(fn: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export default async function alertsBench(): Promise<BenchFigure[]> {
  const support = labSupport();
  if (!support.ok) {
    return NAMES.map((name) => ({ name, value: Number.NaN, unit: 'ms', target: '< 2000 ms', skipped: support.reason }));
  }
  const lab = await labUp({ hosts: 3 });
  const home = mkdtempSync(join(tmpdir(), 'quorate-alerts-bench-'));
  const http = await startHttpReceiver(lab.rootAddress);
  let service: QuorateService | undefined;
  try {
    service = await setUp(lab, home);
    await service.handlers.addAlertChannel({
      kind: 'webhook',
      url: `${http.url}/agents`,
      fromAgents: true,
      events: ['node-left'],
    });
    await service.handlers.addAlertChannel({ kind: 'webhook', url: `${http.url}/desk`, events: ['node-left'] });
    // Let the desktop's monitor see the healthy cluster first.
    await new Promise((r) => setTimeout(r, 8_000));

    const measure = async (cutHost: number, paths: string[]): Promise<{ delays: number[]; corosyncMs: number }> => {
      const from = http.received.length;
      const seen = membershipChange(lab, 1, 2);
      const cutAt = Date.now();
      await lab.cut(cutHost);
      const t0 = await seen;
      await until(() => paths.every((p) => http.received.slice(from).some((r) => r.path === p)), 60_000);
      const delays = paths.map((p) => http.received.slice(from).find((r) => r.path === p)!.at - t0);
      await lab.heal(cutHost);
      await membershipChange(lab, 1, 3);
      return { delays, corosyncMs: t0 - cutAt };
    };

    const running = await measure(3, ['/agents', '/desk']);
    await service.dispose();
    service = undefined;
    await new Promise((r) => setTimeout(r, 3_000));
    const stopped = await measure(2, ['/agents']);
    const [agentsRunning, desk] = running.delays as [number, number];
    const agentsStopped = stopped.delays[0]!;
    const ratio = Math.max(agentsRunning, desk, agentsStopped) / Math.min(running.corosyncMs, stopped.corosyncMs);
    return [
      { name: NAMES[0]!, value: agentsRunning, unit: 'ms', target: '< 2000 ms' },
      { name: NAMES[1]!, value: desk, unit: 'ms', target: '< 2000 ms' },
      { name: NAMES[2]!, value: agentsStopped, unit: 'ms', target: '< 2000 ms' },
      { name: `${NAMES[3]!} (${Math.round(running.corosyncMs)} ms)`, value: ratio, unit: '×' },
    ];
  } finally {
    await service?.dispose();
    await http.close();
    await lab.down();
    rmSync(home, { recursive: true, force: true });
  }
}
