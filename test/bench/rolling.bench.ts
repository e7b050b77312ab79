/**
 * Rolling restart of 3 lab nodes (real corosync, real SSH) as a ratio to corosync's own rejoin time
 * for the same restarts, measured in the same run on the same cluster: first each node's corosync is
 * stopped and started by hand (the product's own stop/start scripts) and timed until the 3-node
 * membership is quorate again; then `rolling` does the same restarts with its gates, maintenance
 * marks, SSH round trips and link checks. The lab's start-up and cluster creation are not counted.
 */
import { createMaintenanceService } from '../../engine/api/service-maintenance';
import { parseQuorumtoolStatus } from '../../engine/corosync';
import { createCluster } from '../../engine/ops/operations';
import { startServiceScript, stopServiceScript } from '../../engine/ops/scripts';
import { labSupport, labUp, type Lab } from '../lab/lab';
import { labOps } from '../engine/ops/lab-ops';
import type { BenchFigure } from './run';

async function backTogether(lab: Lab): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    const views = await Promise.all(
      [1, 2, 3].map(async (h) =>
        parseQuorumtoolStatus((await lab.exec(h, 'corosync-quorumtool -s', { timeoutMs: 5000 })).stdout),
      ),
    );
    if (views.every((v) => v.ok && v.value.nodes === 3 && v.value.quorate)) {
      return;
    }
    if (Date.now() > until) {
      throw new Error('corosync did not come back together within 120 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default async function rollingBench(): Promise<BenchFigure[]> {
  const support = labSupport();
  const names = ['corosync rejoin, 3 restarts by hand', 'rolling restart, 3 nodes', 'rolling / corosync rejoin'];
  if (!support.ok) {
    return names.map((name, i) => ({
      name,
      value: Number.NaN,
      unit: i === 2 ? '×' : 's',
      ...(i === 2 ? { target: '≤ 1.3×' } : {}),
      skipped: support.reason,
    }));
  }
  const lab = await labUp({ hosts: 3 });
  const ops = labOps(lab);
  try {
    const machines = [1, 2, 3].map((i) => lab.host(i).address);
    const created = await createCluster(ops.ctx, { name: 'benchroll', machines });
    if (!created.ok) {
      throw new Error(`create failed: ${JSON.stringify(created.error)}`);
    }
    await backTogether(lab);

    let t = performance.now();
    for (const h of [1, 2, 3]) {
      const stop = await lab.exec(h, stopServiceScript('corosync'), { timeoutMs: 30_000 });
      const start = await lab.exec(h, startServiceScript('corosync'), { timeoutMs: 30_000 });
      if (stop.exitCode !== 0 || start.exitCode !== 0) {
        throw new Error(`restart on host ${h} failed: ${stop.stderr}${start.stderr}`);
      }
      await backTogether(lab);
    }
    const rawS = (performance.now() - t) / 1000;

    const service = createMaintenanceService({ home: ops.home, connect: (m) => ops.ctx.connect(m) });
    t = performance.now();
    const r = await service.rolling({ cluster: 'benchroll', run: 'true', restart: 'services' });
    const rollingS = (performance.now() - t) / 1000;
    if (!r.ok || r.value.state !== 'done') {
      throw new Error(`rolling failed: ${JSON.stringify(r.ok ? r.value.error : r.error)}`);
    }
    return [
      { name: names[0]!, value: rawS, unit: 's' },
      { name: names[1]!, value: rollingS, unit: 's' },
      { name: names[2]!, value: rollingS / rawS, unit: '×', target: '≤ 1.3×' },
    ];
  } finally {
    await lab.down();
    ops.cleanup();
  }
}
