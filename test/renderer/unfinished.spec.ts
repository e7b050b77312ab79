import { describe, expect, it } from 'vitest';
import type { RunOutcome, UnfinishedOperation, UnfinishedParams } from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { UnfinishedNotice, requestWords, unfinishedText } from '../../renderer/src/state/unfinished.svelte';
import { fakeApi } from './fake-api';

const steps = ['agent', 'authkey', 'conf1', 'conf4', 'reload', 'start', 'wait'];
const interrupted = (over: Partial<UnfinishedOperation> = {}): UnfinishedOperation => ({
  kind: 'cluster.join',
  cluster: 'lab',
  request: 'join node4',
  state: 'running',
  startedAt: '2026-12-01T14:02:00.000Z',
  updatedAt: '2026-12-01T14:03:00.000Z',
  steps: steps.map((id, i) => ({ id, machine: 'pve1', title: `step ${id}`, state: i < 3 ? 'done' : 'pending' })),
  done: 3,
  error: null,
  runningIn: null,
  planId: 'unfinished-join-lab',
  ...over,
});
const outcome = (state: 'done' | 'rolled-back'): RunOutcome => ({
  planId: 'unfinished-join-lab',
  ok: true,
  unfinished: false,
  steps: steps.map((id) => ({ id, state })),
  error: null,
});

describe('the callout text', () => {
  it('says what was interrupted, when it started and how far it got', () => {
    expect(unfinishedText(interrupted(), () => '14:02')).toBe(
      'An operation on this cluster was interrupted: join of node4, started 14:02, 3 of 7 steps done',
    );
    expect(requestWords('create 198.18.0.11 198.18.0.12')).toBe('create of 198.18.0.11 198.18.0.12');
  });

  it('says an operation still holding the cluster is running, and where', () => {
    const u = interrupted({ runningIn: { pid: 4242, host: 'desk', what: 'join node4 (lab)', since: 'x' } });
    expect(unfinishedText(u, () => '14:02')).toBe(
      'An operation is still running on this cluster: join of node4, started 14:02, 3 of 7 steps done (pid 4242 on desk)',
    );
  });
});

describe('UnfinishedNotice (dashboard callout)', () => {
  it('resumes through runUnfinished, shows the streamed steps, and goes once the journal is finished', async () => {
    let journal: UnfinishedOperation | null = interrupted();
    let release: (() => void) | undefined;
    const f = fakeApi({
      findUnfinished: () => ok(journal),
      runUnfinished: () =>
        new Promise((resolve) => {
          release = () => {
            journal = null;
            resolve(ok(outcome('done')));
          };
        }),
    });
    const n = new UnfinishedNotice('lab', f.api);
    await n.load();
    expect([n.found?.kind, n.canAct]).toEqual(['cluster.join', true]);
    const resumed = n.resume();
    await Promise.resolve();
    expect(n.run?.steps.map((s) => s.state)).toEqual([
      'done',
      'done',
      'done',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    f.emit('onDidUpdateStep', {
      planId: 'unfinished-join-lab',
      stepId: 'conf4',
      index: 3,
      total: 7,
      state: 'done',
      line: 'installed',
      error: null,
      at: 1,
    });
    // Another plan's updates are not this run's.
    f.emit('onDidUpdateStep', {
      planId: 'other',
      stepId: 'reload',
      index: 4,
      total: 7,
      state: 'failed',
      line: null,
      error: null,
      at: 1,
    });
    expect(n.run?.steps.map((s) => s.state).slice(3, 5)).toEqual(['done', 'pending']);
    expect(n.run?.steps[3]?.log).toEqual(['installed']);
    expect(n.canAct).toBe(false);
    release?.();
    expect(await resumed).toBe(true);
    expect(n.run?.phase).toBe('done');
    expect(n.found).toBeNull();
    const run = f.calls.find((c) => c.method === 'runUnfinished')?.params as UnfinishedParams;
    expect(run).toEqual({ kind: 'cluster.join', cluster: 'lab', rollback: false });
  });

  it('rolls back only after confirmation', async () => {
    const f = fakeApi({
      findUnfinished: () => ok(interrupted()),
      runUnfinished: () => ok(outcome('rolled-back')),
    });
    const n = new UnfinishedNotice('lab', f.api);
    await n.load();
    expect(await n.rollBack()).toBe(false);
    expect([n.confirming, f.calls.some((c) => c.method === 'runUnfinished')]).toEqual([true, false]);
    n.cancelRollBack();
    expect(await n.rollBack()).toBe(false);
    expect(await n.rollBack()).toBe(true);
    expect(f.calls.find((c) => c.method === 'runUnfinished')?.params).toEqual({
      kind: 'cluster.join',
      cluster: 'lab',
      rollback: true,
    });
    expect(n.run?.steps.every((s) => s.state === 'rolled-back')).toBe(true);
  });

  it('offers neither button while another process holds the cluster', async () => {
    const f = fakeApi({
      findUnfinished: () =>
        ok(interrupted({ runningIn: { pid: 7, host: 'desk', what: 'join node4 (lab)', since: 'x' } })),
    });
    const n = new UnfinishedNotice('lab', f.api);
    await n.load();
    expect(n.canAct).toBe(false);
    expect(await n.resume()).toBe(false);
    expect(f.calls.map((c) => c.method)).toEqual(['findUnfinished']);
  });

  it('keeps the journal shown and the error when the run fails half-way', async () => {
    const f = fakeApi({
      findUnfinished: () => ok(interrupted()),
      runUnfinished: () =>
        ok({
          planId: 'unfinished-join-lab',
          ok: false,
          unfinished: true,
          steps: steps.map((id, i) => ({ id, state: i < 4 ? 'done' : i === 4 ? 'failed' : 'pending' })),
          error: { code: 'ops.step-failed', message: 'reload failed', hint: 'Resume' },
        } satisfies RunOutcome),
    });
    const n = new UnfinishedNotice('lab', f.api);
    await n.load();
    expect(await n.resume()).toBe(false);
    expect([n.run?.phase, n.run?.error?.code, n.found?.kind]).toEqual(['failed', 'ops.step-failed', 'cluster.join']);
  });

  it('shows the engine error when the journals cannot be read', async () => {
    const f = fakeApi({ findUnfinished: () => err('ops.journal-unreadable', 'cannot read', 'check the folder') });
    const n = new UnfinishedNotice('lab', f.api);
    await n.load();
    expect([n.found, n.error?.code]).toEqual([null, 'ops.journal-unreadable']);
  });
});
