import { describe, expect, it } from 'vitest';
import type {
  MaintenanceOutcome,
  MaintenanceParams,
  RollingOutcome,
  RollingStepView,
  WhatIfParams,
  WhatIfResult,
} from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { MaintenanceToggle } from '../../renderer/src/state/maintenance.svelte';
import { RollingRun } from '../../renderer/src/state/rolling.svelte';
import { WhatIf } from '../../renderer/src/state/whatif.svelte';
import { fakeApi } from './fake-api';

const answer = (down: readonly string[]): WhatIfResult => ({
  now: { quorate: true, votes: 3, expectedVotes: 3, quorum: 2, canLose: 1 },
  after: { quorate: down.length < 2, votes: 3 - down.length, expectedVotes: 3, quorum: 2, canLose: 0 },
  reason: `without ${down.join(', ')}`,
  remaining: [],
  readFrom: 'n1',
});

describe('WhatIf (dashboard)', () => {
  it('asks the engine for the nodes marked down, and again when one is unmarked', async () => {
    const f = fakeApi({ whatIf: (p: WhatIfParams) => ok(answer(p.down)) });
    const w = new WhatIf('lab', f.api);
    await w.toggle('n2');
    await w.toggle('n3');
    expect(w.answer?.after.quorate).toBe(false);
    await w.toggle('n3');
    expect(w.down).toEqual(['n2']);
    expect(w.answer?.after.quorate).toBe(true);
    expect(f.calls.map((c) => c.params)).toEqual([
      { cluster: 'lab', down: ['n2'] },
      { cluster: 'lab', down: ['n2', 'n3'] },
      { cluster: 'lab', down: ['n2'] },
    ]);
  });

  it('sends the QDevice as a flag and forgets everything when cleared', async () => {
    const f = fakeApi({ whatIf: (p: WhatIfParams) => ok(answer(p.down)) });
    const w = new WhatIf('lab', f.api);
    await w.toggleQdevice();
    expect(f.calls[0]?.params).toEqual({ cluster: 'lab', down: [], qdevice: true });
    w.clear();
    expect([w.active, w.answer]).toEqual([false, null]);
  });

  it('drops an answer to an older question', async () => {
    let release: (() => void) | undefined;
    const f = fakeApi({
      whatIf: (p: WhatIfParams) =>
        p.down.length === 1 ? new Promise((r) => (release = () => r(ok(answer(p.down))))) : ok(answer(p.down)),
    });
    const w = new WhatIf('lab', f.api);
    const first = w.toggle('n2');
    await w.toggle('n3');
    release?.();
    await first;
    expect(w.answer?.reason).toBe('without n2, n3');
  });

  it('shows the engine error (an unknown node) instead of a verdict', async () => {
    const f = fakeApi({ whatIf: () => err('whatif.unknown-node', 'no node named "x"', 'pick a node') });
    const w = new WhatIf('lab', f.api);
    await w.toggle('x');
    expect([w.answer, w.error?.code]).toEqual([null, 'whatif.unknown-node']);
  });
});

describe('MaintenanceToggle (dashboard)', () => {
  const outcome = (needsConfirm: boolean, planned: boolean): MaintenanceOutcome => ({
    node: 'n3',
    inMaintenance: true,
    planned,
    engine: 'corosync',
    whatIf: null,
    needsConfirm,
    steps: ['mark n3'],
    moved: [],
    stuck: [],
  });

  it('runs only once the cluster name is typed when the plan needs it, and sends it', async () => {
    const f = fakeApi({ setMaintenance: (p: MaintenanceParams) => ok(outcome(true, p.plan === true)) });
    const m = new MaintenanceToggle('lab', 'n3', true, f.api);
    await m.makePlan();
    expect(m.canRun).toBe(false);
    m.typed = 'lab';
    expect(m.canRun).toBe(true);
    await m.run();
    expect(f.calls.map((c) => c.params)).toEqual([
      { cluster: 'lab', node: 'n3', enable: true, plan: true },
      { cluster: 'lab', node: 'n3', enable: true, confirm: 'lab' },
    ]);
    expect(m.outcome?.planned).toBe(false);
  });
});

describe('RollingRun (Rolling update dialog)', () => {
  const step = (node: string, kind: RollingStepView['kind'], state: RollingStepView['state'] = 'pending') => ({
    id: `${kind}@${node}`,
    node,
    kind,
    title: kind,
    state,
  });
  const planned: RollingOutcome = {
    cluster: 'lab',
    state: 'planned',
    resumed: false,
    steps: ['n1', 'n2'].flatMap((n) => [step(n, 'gate'), step(n, 'command'), step(n, 'maintenance-off')]),
    gates: [],
    error: null,
  };

  it('shows one progress row per node, fed by the live updates', async () => {
    const f = fakeApi({ rolling: () => ok(planned) });
    const r = new RollingRun('lab', f.api);
    r.command = 'apt-get -y full-upgrade';
    await r.makePlan();
    expect(f.calls[0]?.params).toEqual({
      cluster: 'lab',
      run: 'apt-get -y full-upgrade',
      restart: 'services',
      plan: true,
    });
    const at = 0;
    r.update({ cluster: 'lab', stepId: 'gate@n1', node: 'n1', state: 'done', line: null, at });
    r.update({ cluster: 'lab', stepId: 'command@n1', node: 'n1', state: 'running', line: null, at });
    r.update({ cluster: 'lab', stepId: 'command@n1', node: 'n1', state: 'running', line: 'Unpacking …', at });
    r.update({ cluster: 'other', stepId: 'gate@n2', node: 'n2', state: 'done', line: null, at });
    expect(r.rows).toEqual([
      { node: 'n1', step: 'command', state: 'running', done: 1, total: 3, line: 'Unpacking …' },
      { node: 'n2', step: 'gate', state: 'pending', done: 0, total: 3, line: null },
    ]);
  });

  it('a failed run shows the failed step and why; the button resumes', async () => {
    const failed: RollingOutcome = {
      ...planned,
      state: 'failed',
      steps: planned.steps.map((s) =>
        s.node === 'n1'
          ? { ...s, state: 'done' }
          : s.kind === 'gate'
            ? { ...s, state: 'done' }
            : s.kind === 'command'
              ? { ...s, state: 'failed' }
              : s,
      ),
      error: { code: 'rolling.step-failed', message: 'n2: run failed', hint: 'run the same rolling command again' },
    };
    const f = fakeApi({ rolling: () => ok(failed) });
    const r = new RollingRun('lab', f.api);
    r.command = 'false';
    await r.run();
    expect(r.phase).toBe('failed');
    expect(r.rows.map((x) => x.state)).toEqual(['done', 'failed']);
    expect(r.error?.code).toBe('rolling.step-failed');
  });
});
