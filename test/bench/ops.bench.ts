/**
 * Operation timings on real corosync in the lab, through real SSH:
 * create-to-quorate for 3 hosts, QDevice setup for 2 nodes, pre-flight for 5 hosts on one link (first
 * on fresh hosts, which includes installing the agent on each, then again with the agents running).
 * The lab's own start-up is not counted.
 */
import type { BenchFigure } from './run';
import { labSupport, labUp } from '../lab/lab';
import { createCluster, preflightMachines, setupQdevice } from '../../engine/ops/operations';
import { labOps } from '../engine/ops/lab-ops';

export default async function opsBench(): Promise<BenchFigure[]> {
  const support = labSupport();
  const names = [
    'create-to-quorate, 3 lab hosts',
    'QDevice setup, 2 nodes',
    'pre-flight, 5 hosts, one link',
    'pre-flight, 5 fresh hosts (installs the agents)',
  ];
  const targets = ['< 20 s', '< 30 s', '< 10 s', '< 20 s'];
  if (!support.ok) {
    return names.map((name, i) => ({
      name,
      value: Number.NaN,
      unit: 's',
      target: targets[i]!,
      skipped: support.reason,
    }));
  }
  const lab = await labUp({ hosts: 5 });
  const ops = labOps(lab);
  try {
    const addr = (i: number): string => lab.host(i).address;
    let t = performance.now();
    const fresh = await preflightMachines(ops.ctx, [1, 2, 3, 4, 5].map(addr), { 0: `${addr(1)}/24` });
    const freshS = (performance.now() - t) / 1000;
    if (!fresh.ok || !fresh.value.ok) {
      throw new Error(`pre-flight failed: ${JSON.stringify(fresh)}`);
    }
    t = performance.now();
    const pre = await preflightMachines(ops.ctx, [1, 2, 3, 4, 5].map(addr), { 0: `${addr(1)}/24` });
    const preflightS = (performance.now() - t) / 1000;
    if (!pre.ok || !pre.value.ok) {
      throw new Error(`pre-flight failed: ${JSON.stringify(pre)}`);
    }
    if (process.env.QUORATE_BENCH_DUMP) {
      console.log(
        JSON.stringify(
          pre.value.checks.filter((c) => c.id === 'preflight.latency' || c.id === 'preflight.clock-offset'),
        ),
      );
    }

    t = performance.now();
    const created = await createCluster(ops.ctx, { name: 'bench3', machines: [addr(1), addr(2), addr(3)] });
    const createS = (performance.now() - t) / 1000;
    if (!created.ok) {
      throw new Error(`create failed: ${JSON.stringify(created.error)}`);
    }

    const duo = await createCluster(ops.ctx, { name: 'bench2', machines: [addr(4), addr(5)] });
    if (!duo.ok) {
      throw new Error(`create failed: ${JSON.stringify(duo.error)}`);
    }
    t = performance.now();
    const q = await setupQdevice(ops.ctx, { name: 'bench2', host: addr(1) });
    const qdeviceS = (performance.now() - t) / 1000;
    if (!q.ok) {
      throw new Error(`qdevice setup failed: ${JSON.stringify(q.error)}`);
    }
    if (process.env.QUORATE_BENCH_DUMP) {
      for (const i of [4, 5]) {
        console.log((await lab.exec(i, 'corosync-quorumtool -s')).stdout);
      }
      console.log((await lab.exec(1, 'corosync-qnetd-tool -l')).stdout);
    }
    return [
      { name: names[0]!, value: createS, unit: 's', target: targets[0]! },
      { name: names[1]!, value: qdeviceS, unit: 's', target: targets[1]! },
      { name: names[2]!, value: preflightS, unit: 's', target: targets[2]! },
      { name: names[3]!, value: freshS, unit: 's', target: targets[3]! },
    ];
  } finally {
    await lab.down();
    ops.cleanup();
  }
}
