import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { executePlan, waitQuorum } from '../../../engine/ops/executor';
import type { Journal, JournalStore } from '../../../engine/ops/journal';
import type { Plan, Step } from '../../../engine/ops/plan';
import { ok } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

/** Records commands; fails those listed in `failOnce` the first time they run. Orchestration only. */
function recordingRunner(log: string[], failOnce: Set<string>): CommandRunner {
  return {
    label: 'm1',
    async run(command) {
      log.push(command);
      if (failOnce.delete(command)) {
        return ok({ stdout: '', stderr: `${command}: boom`, exitCode: 1, signal: null });
      }
      return ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
    },
    async upload() {
      return ok(undefined);
    },
    async close() {},
  };
}

function memoryJournal(): JournalStore & { saved: Journal[] } {
  const map = new Map<string, Journal>();
  const saved: Journal[] = [];
  return {
    saved,
    async load(id) {
      const j = map.get(id);
      return j ? structuredClone(j) : null;
    },
    async save(j) {
      map.set(j.opId, structuredClone(j));
      saved.push(structuredClone(j));
    },
  };
}

const step = (name: string): Step => ({
  id: name,
  machine: 'm1',
  title: name,
  action: { kind: 'run', command: `do-${name}` },
  rollback: { kind: 'run', command: `undo-${name}` },
});
const plan = (names: string[]): Plan => ({
  op: 'join',
  cluster: 'lab',
  provider: 'corosync',
  steps: names.map(step),
  files: {},
  before: null,
  after: { nodes: 1, expectedVotes: 1, totalVotes: 1, quorum: 1, canLose: 0 },
  warnings: [],
  machines: {},
});

describe('executor', () => {
  it('journals each finished step and ends done', async () => {
    const log: string[] = [];
    const journal = memoryJournal();
    const r = await executePlan(plan(['a', 'b']), { runnerFor: () => recordingRunner(log, new Set()), journal });
    expect(r.ok && r.value.journal.state).toBe('done');
    expect(log).toEqual(['do-a', 'do-b']);
    expect(journal.saved.map((j) => `${j.state}:${j.done.join(',')}`)).toEqual([
      'running:',
      'running:a',
      'running:a,b',
      'done:a,b',
    ]);
  });

  it('resumes the journaled plan at the failed step on the next run of the same op, even if re-planned differently', async () => {
    const log: string[] = [];
    const journal = memoryJournal();
    const fail = new Set(['do-b']);
    const first = await executePlan(plan(['a', 'b', 'c']), { runnerFor: () => recordingRunner(log, fail), journal });
    expect(!first.ok && first.error.code).toBe('ops.step-failed');
    expect(!first.ok && first.error.message).toContain('boom');
    const second = await executePlan(plan(['x']), { runnerFor: () => recordingRunner(log, fail), journal });
    expect(second.ok && second.value.resumed).toBe(true);
    expect(log).toEqual(['do-a', 'do-b', 'do-b', 'do-c']);
  });

  it('rolls back an interrupted run newest first, including the step that was cut short', async () => {
    const log: string[] = [];
    const journal = memoryJournal();
    await executePlan(plan(['a', 'b', 'c']), { runnerFor: () => recordingRunner(log, new Set(['do-c'])), journal });
    log.length = 0;
    const r = await executePlan(plan(['a', 'b', 'c']), {
      runnerFor: () => recordingRunner(log, new Set()),
      journal,
      unfinished: 'rollback',
    });
    expect(r.ok && r.value.journal.state).toBe('rolled-back');
    expect(log).toEqual(['undo-c', 'undo-b', 'undo-a']);
  });

  it('skips a run step whose doneIf already holds', async () => {
    const log: string[] = [];
    const p: Plan = {
      ...plan([]),
      steps: [{ id: 's', machine: 'm1', title: 's', action: { kind: 'run', command: 'make-it', doneIf: 'test-it' } }],
    };
    const r = await executePlan(p, { runnerFor: () => recordingRunner(log, new Set()), journal: memoryJournal() });
    expect(r.ok && r.value.skipped).toEqual(['s']);
    expect(log).toEqual(['test-it']);
  });

  it('stops with ops.cancelled when the signal is aborted, leaving the journal resumable', async () => {
    const ac = new AbortController();
    ac.abort();
    const journal = memoryJournal();
    const r = await executePlan(plan(['a']), {
      runnerFor: () => recordingRunner([], new Set()),
      journal,
      signal: ac.signal,
    });
    expect(!r.ok && r.error.code).toBe('ops.cancelled');
    expect(journal.saved.at(-1)!.state).toBe('failed');
  });

  it("waits on corosync-quorumtool -s until the QDevice votes again, reading real captures with engine/corosync's parser", async () => {
    const capture = (dir: string): string =>
      readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');
    const answers = [
      'Cannot initialize QUORUM service\n',
      capture('quorumtool-s-qdevice-qnetd-lost'),
      capture('quorumtool-s-qdevice'),
    ];
    const runner: CommandRunner = {
      label: 'node1',
      async run(command) {
        expect(command).toBe('corosync-quorumtool -s');
        return ok({ stdout: answers.shift() ?? '', stderr: '', exitCode: 0, signal: null });
      },
      async upload() {
        return ok(undefined);
      },
      async close() {},
    };
    const lines: string[] = [];
    const r = await waitQuorum(
      runner,
      { members: 2, quorate: true, qdeviceVote: true },
      { deadline: Date.now() + 10_000, signal: new AbortController().signal, log: (l) => lines.push(l), now: Date.now },
    );
    expect(r.ok && r.value.qdevice?.votes).toBe(1);
    expect(answers).toHaveLength(0);
    expect(lines).toEqual(['Cannot initialize QUORUM service', '2 member(s), quorate, 2/3 votes, qdevice 0']);
  });
});
