/**
 * corosync.conf parse and print time for a 64-node, two-link file (samples/sixty-four-nodes):
 * median of many runs after a warm-up, in milliseconds. Target from issue 2: under 5 ms each.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfText, parseConf, printConf, validateConf } from '../../engine/corosync';
import type { BenchFigure } from './run';

const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'engine',
  'corosync',
  'samples',
  'sixty-four-nodes',
  'input.conf',
);

function median(fn: () => void, runs: number): number {
  for (let i = 0; i < 50; i++) {
    fn();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export default function bench(): Promise<BenchFigure[]> {
  const text = readFileSync(file, 'utf8');
  const parsed = parseConf(text);
  if (!parsed.ok) {
    throw new Error(parsed.error.message);
  }
  const doc = parsed.value;
  if (printConf(doc) !== text) {
    throw new Error('64-node file does not round-trip');
  }
  const lines = text.split('\n').length;
  return Promise.resolve([
    {
      name: `parse 64-node corosync.conf (${lines} lines), median`,
      value: median(() => parseConf(text), 500),
      unit: 'ms',
      target: '< 5 ms',
    },
    {
      name: 'print 64-node corosync.conf, median',
      value: median(() => printConf(doc), 500),
      unit: 'ms',
      target: '< 5 ms',
    },
    { name: 'validate 64-node corosync.conf, median', value: median(() => validateConf(doc), 200), unit: 'ms' },
    {
      name: 'check (parse + validate) 64-node text, median',
      value: median(() => checkConfText(text), 200),
      unit: 'ms',
    },
  ]);
}
