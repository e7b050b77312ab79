/**
 * Adopt time for a running 5-node corosync cluster made without Quorate (the lab starts it), from
 * one member: one read-only SSH reading of `from`, then of the other four in parallel (real SSH
 * logins included), analysis and registration. Beside it, corosync's own answer time in the same
 * run: `corosync-quorumtool -s` over one SSH session to one member. No agent is needed (adopt
 * reads files and corosync's tools), so "with agents installed" and "including installing them"
 * are the same figure here. The lab's own start-up is not counted.
 */
import type { BenchFigure } from './run';
import { labSupport, labUp } from '../lab/lab';
import { minimalCorosyncConf, startCorosync, waitQuorate } from '../lab/corosync';
import { labAdoptService, labOps } from '../engine/ops/lab-ops';

export default async function adoptBench(): Promise<BenchFigure[]> {
  const support = labSupport();
  const names = ['adopt a 5-node cluster from one member', 'corosync-quorumtool -s over SSH (same run)'];
  if (!support.ok) {
    return names.map((name) => ({ name, value: Number.NaN, unit: 's', skipped: support.reason }));
  }
  const lab = await labUp({ hosts: 5 });
  const ops = labOps(lab);
  try {
    const all = [1, 2, 3, 4, 5];
    await startCorosync(lab, all, minimalCorosyncConf(lab, all, { clusterName: 'bench5' }));
    await waitQuorate(lab, 1, true, 60_000);
    const service = labAdoptService(lab, ops);
    // Host keys pinned once (as `quorate hosts add` does before any adopt), not counted.
    for (const h of lab.hosts) {
      const r = await ops.ctx.connect(h.address);
      if (r.ok) {
        await r.value.close();
      }
    }
    let t = performance.now();
    const r = await service.adoptCluster({ from: lab.host(1).address });
    const adoptS = (performance.now() - t) / 1000;
    if (!r.ok || r.value.nodes.length !== 5) {
      throw new Error(`adopt failed: ${JSON.stringify(r)}`);
    }
    t = performance.now();
    const s = await ops.ctx.connect(lab.host(1).address);
    if (!s.ok) {
      throw new Error(s.error.message);
    }
    await s.value.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
    await s.value.close();
    const toolS = (performance.now() - t) / 1000;
    return [
      { name: names[0]!, value: adoptS, unit: 's', target: `< 5 s (${(adoptS / toolS).toFixed(1)}× the tool)` },
      { name: names[1]!, value: toolS, unit: 's' },
    ];
  } finally {
    await lab.down();
    ops.cleanup();
  }
}
