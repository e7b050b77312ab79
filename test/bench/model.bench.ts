/** Votequorum model speed: the UI re-evaluates partitions and the failure table on every change. */
import { evaluatePartitions, failureTable, tableConfig } from '../../engine/model';
import type { BenchFigure } from './run';

function timeIt(runs: number, fn: () => void): number {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    fn();
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

export default async function bench(): Promise<BenchFigure[]> {
  const cfg = tableConfig(64, true);
  const names = cfg.nodes.map((n) => n.name);
  const groups = [names.slice(0, 20), names.slice(20, 40), names.slice(40)];
  return [
    {
      name: 'evaluatePartitions, 64 nodes + QDevice, 3 groups',
      value: timeIt(2000, () => evaluatePartitions(cfg, { groups })),
      unit: 'ms',
      target: '< 1 ms',
    },
    {
      name: 'failureTable, 64 nodes + QDevice',
      value: timeIt(50, () => failureTable(64, { qdevice: true })),
      unit: 'ms',
      target: '< 16 ms (one frame)',
    },
  ];
}
