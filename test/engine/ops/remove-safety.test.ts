/**
 * A failed remove leaves the cluster no less safe than before: for every step of the plan, fail
 * there (that step and the ones after it never run) and compute "can lose" from what the steps
 * before it did — corosync.conf files written, the config corosync runs after a reload, which qdevice
 * daemons run — with engine/model's arithmetic. The QDevice vote counts only while every member
 * runs its daemon (the pessimistic reading). Before: 4 nodes + an ffsplit QDevice, node4 dead.
 */
import { describe, expect, it } from 'vitest';
import { canLoseNow, expectedVotes, qdeviceVotes, quorumFor, type VotequorumConfig } from '../../../engine/model';
import type { Plan, StepAction } from '../../../engine/ops/plan';
import { planRemove } from '../../../engine/ops/plans';
import { newSpec, specFromConf, withQdevice, type ClusterSpec } from '../../../engine/ops/spec';
import { unwrap } from '../../../engine/result';

const m = (i: number): string => `198.18.9.${i}`;
const spec = (n: number): ClusterSpec =>
  unwrap(
    newSpec(
      'lab',
      Array.from({ length: n }, (_, k) => ({ name: `node${k + 1}`, machine: m(k + 1), addresses: { 0: m(k + 1) } })),
    ),
  );
const withFfsplit = (s: ClusterSpec): ClusterSpec =>
  unwrap(withQdevice(s, { host: m(9), algorithm: 'ffsplit', votes: 1, machine: m(9) })).spec;

interface World {
  readonly up: Set<string>; // machines whose corosync runs (members)
  readonly files: Map<string, VotequorumConfig>;
  loaded: VotequorumConfig;
  readonly qdeviceRunning: Set<string>;
  readonly byMachine: Map<string, string>; // machine → node name
}

function canLose(w: World): number {
  const cfg = w.loaded;
  const members = cfg.nodes.filter((n) => [...w.up].some((x) => w.byMachine.get(x) === n.name));
  const voting = cfg.qdevice !== undefined && [...w.up].every((x) => w.qdeviceRunning.has(x));
  const totalVotes = members.reduce((s, n) => s + n.votes, 0) + (voting ? qdeviceVotes(cfg) : 0);
  const quorum = quorumFor(expectedVotes(cfg), cfg, members.length);
  return canLoseNow({ quorate: totalVotes >= quorum, totalVotes, quorum, members });
}

function act(w: World, machine: string, a: StepAction, before: VotequorumConfig): void {
  if (a.kind === 'install-conf') {
    w.files.set(machine, unwrap(specFromConf(a.content)).votequorum);
  } else if (a.kind === 'restore-conf') {
    w.files.set(machine, before);
  } else if (a.kind === 'reload-corosync') {
    w.loaded = w.files.get(machine)!;
  } else if (a.kind === 'stop-service' && a.service === 'corosync-qdevice') {
    w.qdeviceRunning.delete(machine);
  } else if (a.kind === 'start-service' && a.service === 'corosync-qdevice') {
    w.qdeviceRunning.add(machine);
  }
}

/**
 * Steps 0..upTo-1 done, step `upTo` fails. A step marked undoOnFailure makes the executor roll the
 * operation back at once (its undo, then the done steps' undos, newest first), as engine/ops/run.ts does.
 */
function apply(w: World, plan: Plan, upTo: number, before: VotequorumConfig): void {
  const done = plan.steps.slice(0, upTo);
  for (const s of done) {
    act(w, s.machine, s.action, before);
  }
  const failed = plan.steps[upTo];
  if (failed?.undoOnFailure) {
    for (const s of [failed, ...[...done].reverse()]) {
      if (s.rollback) {
        act(w, s.machine, s.rollback, before);
      }
    }
  }
}

function worldBefore(before: ClusterSpec, dead: string): World {
  const machines = before.nodes.map((n) => n.machine!);
  const up = new Set(machines.filter((x) => x !== dead));
  return {
    up,
    files: new Map(machines.map((x) => [x, before.votequorum])),
    loaded: before.votequorum,
    qdeviceRunning: new Set(before.qdevice ? up : []),
    byMachine: new Map(before.nodes.map((n) => [n.machine!, n.name])),
  };
}

function removePlan(before: ClusterSpec, qdevice?: 'remove' | 'keep-lms'): Plan {
  return unwrap(
    planRemove({
      before,
      name: 'node4',
      onlineMembers: before.nodes.filter((n) => n.name !== 'node4').map((n) => n.name),
      removedReachable: false,
      provider: 'corosync',
      qnetdMachine: m(9),
      ...(qdevice ? { qdevice } : {}),
    }),
  );
}

/** "Can lose" after failing at each step (index = steps that ran), and after the whole plan. */
function canLoseAtEveryFailure(before: ClusterSpec, plan: Plan): number[] {
  return Array.from({ length: plan.steps.length + 1 }, (_, i) => {
    const w = worldBefore(before, m(4));
    apply(w, plan, i, before.votequorum);
    return canLose(w);
  });
}

describe('remove with node4 dead: a failing step anywhere never lowers "can lose"', () => {
  it('without a QDevice (4 → 3)', () => {
    const before = spec(4);
    const start = canLose(worldBefore(before, m(4)));
    const plan = removePlan(before);
    const seen = canLoseAtEveryFailure(before, plan);
    expect(start).toBe(0); // 3 of 4 present, quorum 3
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(start);
    expect(seen.at(-1)).toBe(1);
  });

  it('around an ffsplit QDevice, also removing it (--qdevice remove): 4+Q → 3', () => {
    const before = withFfsplit(spec(4));
    const start = canLose(worldBefore(before, m(4)));
    expect(start).toBe(1); // 3 nodes + the QDevice: 4 of 5, quorum 3
    const plan = removePlan(before, 'remove');
    const seen = canLoseAtEveryFailure(before, plan);
    expect(seen.map((x, i) => [i, plan.steps[i]?.id ?? 'end', x]).filter(([, , x]) => (x as number) < start)).toEqual(
      [],
    );
    expect(seen.at(-1)).toBe(1);
  });

  it('around an ffsplit QDevice switched to lms (--qdevice keep-lms): a failure while its daemons restart rolls it all back', () => {
    const before = withFfsplit(spec(4));
    const start = canLose(worldBefore(before, m(4)));
    const plan = removePlan(before, 'keep-lms');
    const seen = canLoseAtEveryFailure(before, plan);
    expect(plan.steps.some((s) => s.undoOnFailure)).toBe(true);
    expect(seen.map((x, i) => [i, plan.steps[i]?.id ?? 'end', x]).filter(([, , x]) => (x as number) < start)).toEqual(
      [],
    );
    expect(seen.at(-1)).toBe(2);
    expect(plan.warnings.join(' ')).toMatch(/vote is missing for a few seconds/);
  });
});
