/**
 * An operation another process left unfinished is continued or rolled back through the window's
 * handlers: `runUnfinished` by kind and cluster (the service never planned it), and a `plan*` on the
 * half-changed cluster that offers the interrupted run itself. Over the cluster commands' in-memory
 * world: node3 is off, and `corosync-cfgtool -R` fails until the world is told otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepUpdate } from '../../../engine/api/contract';
import type { OpsContext } from '../../../engine/ops/operations';
import { loadCluster, saveCluster } from '../../../engine/ops/registry.fs';
import { removeNode } from '../../../engine/ops/operations';
import { unwrap } from '../../../engine/result';
import { world } from '../cli/op-world';
import { interruptedRemove as interruptedRemoveIn, operationsOver } from './unfinished-world';

let home: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-unfinished-'));
  await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } }, home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const service = (ctx: OpsContext, updates: StepUpdate[] = []) => operationsOver(home, ctx, updates);
const interruptedRemove = (): Promise<void> => interruptedRemoveIn(home);

describe('unfinished operations through the service', () => {
  it('says there is nothing to continue or roll back when no journal is unfinished', async () => {
    const ops = service(world(home, [], 'node3-off', /^$/));
    const resume = unwrap(await ops.runUnfinished({ kind: 'cluster.remove', cluster: 'lab', rollback: false }));
    expect([resume.ok, resume.error?.code]).toEqual([false, 'ops.nothing-to-resume']);
    const back = unwrap(await ops.runUnfinished({ kind: 'cluster.remove', cluster: 'lab', rollback: true }));
    expect([back.ok, back.error?.code]).toEqual([false, 'ops.nothing-to-roll-back']);
  });

  it('continues a remove another process left, by kind and cluster, and the registry follows', async () => {
    await interruptedRemove();
    const commands: string[] = [];
    const ops = service(world(home, commands, 'node3-off', /^$/));
    const run = unwrap(await ops.runUnfinished({ kind: 'cluster.remove', cluster: 'lab', rollback: false }));
    expect(run.ok).toBe(true);
    expect([run.report?.journalState, run.report?.resumed]).toEqual(['done', true]);
    // Only what was left: the reload onwards, not the config writes done before.
    expect(commands[0]).toBe('m1: corosync-cfgtool -R');
    expect(Object.keys((await loadCluster('lab', home))!.nodes)).toEqual(['node1', 'node2']);
  });

  it('rolls back a remove another process left, and leaves nothing to roll back after', async () => {
    await interruptedRemove();
    const ops = service(world(home, [], 'node3-off', /^$/));
    const back = unwrap(await ops.runUnfinished({ kind: 'cluster.remove', cluster: 'lab', rollback: true }));
    expect([back.ok, back.unfinished, back.report?.journalState]).toEqual([true, false, 'rolled-back']);
    expect(Object.keys((await loadCluster('lab', home))!.nodes)).toEqual(['node1', 'node2', 'node3']);
  });

  it('refuses a different operation while one is unfinished, at plan time, with ops’ message', async () => {
    await interruptedRemove();
    const ops = service(world(home, [], 'node3-off', /^$/));
    const plan = await ops.planRemoveQdevice({ cluster: 'lab' });
    expect(!plan.ok && plan.error.code).toBe('ops.unfinished-other');
    expect(!plan.ok && plan.error.message).toContain('"remove node3"');
  });

  it('offers the interrupted run as the plan when its own plan cannot be made on the half-changed cluster', async () => {
    await interruptedRemove();
    // The run wrote the new corosync.conf (without node3) before it stopped: removing node3 again
    // cannot be planned on that file, but what is left of the run can be run.
    const ops = service(world(home, [], 'node3-off', /^$/, 2));
    const fresh = await removeNode(world(home, [], 'node3-off', /^$/, 2), {
      name: 'lab',
      node: 'node3',
      planOnly: true,
    });
    expect(fresh.ok).toBe(false);
    const plan = unwrap(await ops.planRemoveNode({ cluster: 'lab', node: 'node3', force: true }));
    expect(plan.resumes).toBe(true);
    expect(plan.ran?.op).toBe('remove');
    const run = unwrap(await ops.runPlan({ planId: plan.id }));
    expect([run.ok, run.report?.resumed]).toEqual([true, true]);
  });
});
