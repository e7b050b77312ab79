/**
 * `quorate status` is a thin client of the service's one-shot reader (`readClusterStatus`, the
 * window's first snapshot): its text and `--json` stay byte for byte what the command printed when
 * it read corosync through ops itself. status-golden.json was captured with the old command
 * (main e9f9e42, engine/ops/status.ts `clusterStatus` + `statusView`) over the same cases.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatusService, statusOfSnapshot } from '../../../engine/api/service-status';
import { runStatusCommand } from '../../../engine/cli/cluster-commands';
import { unwrap } from '../../../engine/result';
import { STATUS_CASES, saveCase } from './status-cases';
import { statusWorld } from './status-world';

const GOLDEN = JSON.parse(readFileSync(join(import.meta.dirname, 'status-golden.json'), 'utf8')) as Record<
  string,
  { code: number; stdout: string; stderr: string }
>;

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'quorate-status-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function run(name: string, json: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = STATUS_CASES[name]!;
  await saveCase(home, c);
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    readStdin: async () => '',
  };
  const code = await runStatusCommand([c.cluster, ...(json ? ['--json'] : [])], io, {
    ctx: statusWorld(home, c.machines),
  });
  return { code, stdout, stderr };
}

describe('quorate status through the service', () => {
  it('has a golden for every case, text and --json', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual(
      Object.keys(STATUS_CASES)
        .flatMap((n) => [n, `${n} --json`])
        .sort(),
    );
  });

  describe.each(Object.keys(STATUS_CASES))('%s', (name) => {
    it.each([false, true])('prints what the old command printed (--json: %s), with its exit code', async (json) => {
      expect(await run(name, json)).toEqual(GOLDEN[`${name}${json ? ' --json' : ''}`]);
    });
  });

  it('gives the window the same read as a ClusterStatus: health by the monitor rule, machines, QDevice', async () => {
    const c = STATUS_CASES['QDevice voting']!;
    await saveCase(home, c);
    const reader = createStatusService({ context: () => statusWorld(home, c.machines), now: () => 42 });
    const snap = unwrap(await reader.readClusterStatus({ cluster: 'duo' }));
    expect(snap).toMatchObject({ readFrom: 'm1', clusterName: 'duo', reporter: 'node1', updatedAt: 42 });
    expect(statusOfSnapshot(snap)).toEqual({
      name: 'duo',
      state: 'quorate',
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      canLose: 1,
      nodes: [
        { name: 'node1', nodeid: 1, votes: 1, online: true, machine: 'm1' },
        { name: 'node2', nodeid: 2, votes: 1, online: true, machine: 'm2' },
      ],
      qdevice: { host: '198.18.9.9', algorithm: 'ffsplit', votes: 1, flags: 'A,V,NMW' },
      links: [],
      reporter: 'node1',
      updatedAt: 42,
    });
  });

  it('says degraded when a node is out of the membership, inquorate when the node read is', async () => {
    for (const [name, state] of [
      ['node3 offline, read from m2 (m1 unreachable)', 'degraded'],
      ['inquorate', 'inquorate'],
    ] as const) {
      const c = STATUS_CASES[name]!;
      await saveCase(home, c);
      const reader = createStatusService({ context: () => statusWorld(home, c.machines), now: Date.now });
      expect(unwrap(await reader.readClusterStatus({ cluster: c.cluster })).state).toBe(state);
    }
  });
});
