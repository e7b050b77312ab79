/** `quorate clusters [--json]`: the clusters Quorate manages and which machine each node is. */
import { parseArgs } from 'node:util';
import { listClusters } from '../ops/registry.fs';
import type { CliIo } from './io';

export async function runClustersCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
  const clusters = await listClusters();
  if (values.json) {
    io.stdout(`${JSON.stringify({ clusters })}\n`);
    return 0;
  }
  if (clusters.length === 0) {
    io.stdout('No clusters yet. Create one with `quorate create NAME --node ADDR …`.\n');
  }
  for (const c of clusters) {
    const nodes = Object.entries(c.nodes)
      .map(([name, machine]) => `${name}=${machine}`)
      .join(', ');
    io.stdout(`${c.name} (${c.provider}): ${nodes}${c.qnetd ? `; QDevice on ${c.qnetd.machine}` : ''}\n`);
  }
  return 0;
}
