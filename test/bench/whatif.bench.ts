/**
 * What-if speed: the dashboard asks on every click, so one answer for a 64-node cluster should fit
 * in a frame (< 16 ms). Measured for the model alone and for the use case with the conf cached and
 * the live status from the watch service (what a click costs in the engine, without the RPC hop).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterStatus } from '../../engine/api/contract';
import { createMaintenanceService } from '../../engine/api/service-maintenance';
import { tableConfig, whatIf, type LiveQuorum } from '../../engine/model';
import { saveCluster } from '../../engine/ops/registry.fs';
import { ok } from '../../engine/result';
import type { BenchFigure } from './run';

async function timeIt(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    await fn();
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

const NODES = 64;

function conf(): string {
  const nodes = Array.from(
    { length: NODES },
    (_, i) => `  node {\n    name: node${i + 1}\n    nodeid: ${i + 1}\n    ring0_addr: 198.18.1.${i + 1}\n  }\n`,
  ).join('');
  return `totem {\n  version: 2\n  cluster_name: big\n  config_version: 1\n  transport: knet\n}\nquorum {\n  provider: corosync_votequorum\n}\nnodelist {\n${nodes}}\n`;
}

export default async function bench(): Promise<BenchFigure[]> {
  const plain = tableConfig(NODES, false);
  const withQdevice = tableConfig(NODES, true);
  const names = plain.nodes.map((n) => n.name);
  const live = (q: number): LiveQuorum => ({
    members: names,
    quorate: true,
    totalVotes: NODES + q,
    expectedVotes: NODES + q,
    quorum: Math.floor((NODES + q) / 2) + 1,
    qdeviceVoting: q > 0,
  });
  const down = { nodes: names.slice(0, 3), qdevice: false };

  const home = mkdtempSync(join(tmpdir(), 'quorate-bench-whatif-'));
  try {
    await saveCluster(
      { name: 'big', provider: 'corosync', nodes: Object.fromEntries(names.map((n, i) => [n, `198.18.1.${i + 1}`])) },
      home,
    );
    const status: ClusterStatus = {
      name: 'big',
      state: 'quorate',
      quorate: true,
      expectedVotes: NODES,
      totalVotes: NODES,
      quorum: NODES / 2 + 1,
      canLose: NODES / 2 - 1,
      nodes: names.map((name, i) => ({ name, nodeid: i + 1, votes: 1, online: true, machine: null })),
      qdevice: null,
      links: [],
      reporter: 'node1',
      updatedAt: 0,
    };
    const text = conf();
    const service = createMaintenanceService({
      home,
      connect: async () =>
        ok({
          label: 'bench',
          run: async (cmd: string) =>
            ok({ stdout: cmd.startsWith('cat ') ? text : '', stderr: '', exitCode: 0, signal: null }),
          upload: async () => ok(undefined),
          close: async () => {},
        }),
      liveStatus: async () => ok(status),
    });
    return [
      {
        name: `whatIf model, ${NODES} nodes, 3 down`,
        value: await timeIt(200, () => whatIf(plain, live(0), down)),
        unit: 'ms',
        target: '< 16 ms (one frame)',
      },
      {
        name: `whatIf model, ${NODES} nodes + QDevice (lms), 3 down`,
        value: await timeIt(200, () => whatIf(withQdevice, live(NODES - 1), down)),
        unit: 'ms',
        target: '< 16 ms (one frame)',
      },
      {
        name: `whatIf use case (conf cached, watch status), ${NODES} nodes`,
        value: await timeIt(200, () => service.whatIf({ cluster: 'big', down: names.slice(0, 3) })),
        unit: 'ms',
        target: '< 16 ms (one frame)',
      },
    ];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
