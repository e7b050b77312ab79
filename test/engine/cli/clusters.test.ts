import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runClustersCommand } from '../../../engine/cli/clusters-command';
import type { CliIo } from '../../../engine/cli/io';
import { clustersUsingMachine, saveCluster, type ClusterRecord } from '../../../engine/ops/registry.fs';

let home: string;
let saved: string | undefined;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'quorate-clusters-'));
  saved = process.env.QUORATE_HOME;
  process.env.QUORATE_HOME = home;
});
afterEach(() => {
  if (saved === undefined) {
    delete process.env.QUORATE_HOME;
  } else {
    process.env.QUORATE_HOME = saved;
  }
  rmSync(home, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<string> {
  let out = '';
  const io: CliIo = { stdout: (t) => void (out += t), stderr: () => {}, readStdin: async () => '' };
  expect(await runClustersCommand(argv, io)).toBe(0);
  return out;
}

describe('quorate clusters', () => {
  it('says how to start when there is no cluster', async () => {
    expect(await run()).toMatch(/quorate create/);
    expect(JSON.parse(await run('--json'))).toEqual({ clusters: [] });
  });

  it('lists the managed clusters by name with their machines', async () => {
    await saveCluster({ name: 'zeta', provider: 'corosync', nodes: { node1: '198.18.9.1' } }, home);
    await saveCluster(
      {
        name: 'alpha',
        provider: 'corosync',
        nodes: { node1: '198.18.9.2', node2: '198.18.9.3' },
        qnetd: { machine: '198.18.9.9', host: '198.18.9.9' },
      },
      home,
    );
    const { clusters } = JSON.parse(await run('--json'));
    expect(clusters.map((c: { name: string }) => c.name)).toEqual(['alpha', 'zeta']);
    expect(await run()).toContain('alpha (corosync): node1=198.18.9.2, node2=198.18.9.3; QDevice on 198.18.9.9');
  });
});

describe('clustersUsingMachine', () => {
  const records: ClusterRecord[] = [
    { name: 'a', provider: 'corosync', nodes: { node1: '198.18.9.1', node2: '198.18.9.2:2222' } },
    {
      name: 'b',
      provider: 'corosync',
      nodes: { node1: '198.18.9.3' },
      qnetd: { machine: '198.18.9.1', host: '198.18.9.1' },
    },
  ];
  it('finds a machine as a node or as the qnetd host, spelled with or without its port', () => {
    expect(clustersUsingMachine(records, '198.18.9.1', 22)).toEqual(['a', 'b']);
    expect(clustersUsingMachine(records, '198.18.9.2', 2222)).toEqual(['a']);
    expect(clustersUsingMachine(records, '198.18.9.2', 22)).toEqual([]);
    expect(clustersUsingMachine(records, '198.18.9.9', 22)).toEqual([]);
  });
});
