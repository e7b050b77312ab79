/**
 * `findUnfinished`: what the window's dashboard asks to show an operation another process left
 * half-done. Over a real state folder whose journal ops itself wrote when its run stopped (the
 * cluster commands' in-memory world: `corosync-cfgtool -R` fails), then continued through
 * `runUnfinished` under the plan id the answer names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepUpdate } from '../../../engine/api/contract';
import { acquireLock } from '../../../engine/ops/lock.fs';
import type { OpsContext } from '../../../engine/ops/operations';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { unwrap } from '../../../engine/result';
import { world } from '../cli/op-world';
import { interruptedRemove as interruptedRemoveIn, operationsOver } from './unfinished-world';

let home: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-find-unfinished-'));
  await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } }, home);
  await saveCluster({ name: 'other', provider: 'corosync', nodes: { a: 'm1', b: 'm2' } }, home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const service = (ctx: OpsContext, updates: StepUpdate[] = []) => operationsOver(home, ctx, updates);
const interruptedRemove = (): Promise<void> => interruptedRemoveIn(home);

describe('findUnfinished', () => {
  it('finds nothing on a cluster without an unfinished journal', async () => {
    const ops = service(world(home, [], 'node3-off', /^$/));
    expect(unwrap(await ops.findUnfinished({ cluster: 'lab' }))).toBeNull();
    await interruptedRemove();
    // The journal is of lab: the other cluster has nothing to continue.
    expect(unwrap(await ops.findUnfinished({ cluster: 'other' }))).toBeNull();
  });

  it('tells the kind, the request, when it started and which steps are done, failed and pending', async () => {
    await interruptedRemove();
    expect(await readdir(join(home, 'journal'))).toContain('remove-lab.json');
    const u = unwrap(await service(world(home, [], 'node3-off', /^$/)).findUnfinished({ cluster: 'lab' }));
    expect(u).not.toBeNull();
    expect([u!.kind, u!.cluster, u!.request, u!.state]).toEqual(['cluster.remove', 'lab', 'remove node3', 'failed']);
    expect(Number.isNaN(Date.parse(u!.startedAt))).toBe(false);
    const failed = u!.steps.filter((s) => s.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(u!.error?.stepId).toBe(failed[0]!.id);
    expect(u!.error?.code).toBeTruthy();
    // The config writes before the reload finished; the failed reload and what follows did not.
    expect(u!.done).toBeGreaterThan(0);
    expect(u!.done).toBe(u!.steps.filter((s) => s.state === 'done').length);
    expect(u!.done).toBeLessThan(u!.steps.length);
    const order = u!.steps.map((s) => s.state);
    expect(order.indexOf('failed')).toBe(u!.done);
    expect(u!.runningIn).toBeNull();
  });

  it('names the process that holds the cluster now', async () => {
    await interruptedRemove();
    // A CLI on another computer sharing this state folder: its lock is not stale from here.
    await mkdir(join(home, 'locks'), { recursive: true });
    const owner = {
      pid: 4242,
      start: null,
      host: 'laptop',
      what: 'remove node3 (lab)',
      since: new Date().toISOString(),
    };
    await writeFile(join(home, 'locks', 'lab.lock'), JSON.stringify(owner));
    const u = unwrap(await service(world(home, [], 'node3-off', /^$/)).findUnfinished({ cluster: 'lab' }));
    expect([u?.runningIn?.pid, u?.runningIn?.host, u?.runningIn?.what]).toEqual([4242, 'laptop', 'remove node3 (lab)']);
  });

  it('shows nothing while this very process holds the cluster: that is the window’s own operation', async () => {
    await interruptedRemove();
    const lock = unwrap(await acquireLock(home, 'lab', 'remove node3 (lab)'));
    try {
      expect(unwrap(await service(world(home, [], 'node3-off', /^$/)).findUnfinished({ cluster: 'lab' }))).toBeNull();
    } finally {
      await lock.release();
    }
    expect(unwrap(await service(world(home, [], 'node3-off', /^$/)).findUnfinished({ cluster: 'lab' }))).not.toBeNull();
  });

  it('is resumed by runUnfinished under its plan id, and is gone once the journal is done', async () => {
    await interruptedRemove();
    const updates: StepUpdate[] = [];
    const ops = service(world(home, [], 'node3-off', /^$/), updates);
    const u = unwrap(await ops.findUnfinished({ cluster: 'lab' }))!;
    const run = unwrap(await ops.runUnfinished({ kind: u.kind, cluster: 'lab', rollback: false }));
    expect([run.ok, run.planId]).toEqual([true, u.planId]);
    const followed = updates.filter((x) => x.planId === u.planId);
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.some((x) => x.stepId === u.error?.stepId && x.state === 'done')).toBe(true);
    expect(unwrap(await ops.findUnfinished({ cluster: 'lab' }))).toBeNull();
  });

  it('is gone once the journal is rolled back', async () => {
    await interruptedRemove();
    const ops = service(world(home, [], 'node3-off', /^$/));
    unwrap(await ops.runUnfinished({ kind: 'cluster.remove', cluster: 'lab', rollback: true }));
    expect(unwrap(await ops.findUnfinished({ cluster: 'lab' }))).toBeNull();
  });
});
