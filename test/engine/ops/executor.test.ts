import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quorumWaitScript } from '../../../engine/ops/scripts';
import { PER_MACHINE } from '../../../engine/ops/machine-limit';
import { executePlan, waitQuorum } from '../../../engine/ops/executor';
import type { Journal, JournalStore } from '../../../engine/ops/journal';
import type { Plan, Step } from '../../../engine/ops/plan';
import { err, ok } from '../../../engine/result';
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

/** Runs every command in a real local sh (stdin passed), as a machine's shell would. */
function localRunner(log: string[] = []): CommandRunner {
  return {
    label: 'local',
    run(command, o) {
      log.push(command);
      return new Promise((resolve) => {
        const child = execFile('sh', ['-c', command], (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve(ok({ stdout, stderr, exitCode: code, signal: null }));
        });
        // A script that does not read its stdin may exit before it is written.
        child.stdin?.on('error', () => {});
        child.stdin?.end(o?.stdin ?? '');
      });
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

  it('skips a run step whose doneIf already holds, checking and acting in one command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorate-doneif-'));
    try {
      const mark = join(dir, 'made');
      const p: Plan = {
        ...plan([]),
        steps: [
          {
            id: 's',
            machine: 'm1',
            title: 's',
            action: { kind: 'run', command: `echo once >> ${mark}`, doneIf: `test -s ${mark}` },
          },
        ],
      };
      const log: string[] = [];
      const first = await executePlan(p, { runnerFor: () => localRunner(log), journal: memoryJournal() });
      expect(first.ok && first.value.skipped).toEqual([]);
      const second = await executePlan(p, { runnerFor: () => localRunner(log), journal: memoryJournal() });
      expect(second.ok && second.value.skipped).toEqual(['s']);
      expect(readFileSync(mark, 'utf8')).toBe('once\n');
      expect(log).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
        // Asked plainly first, then through the script that waits on the node for the change.
        expect(command).toBe(
          answers.length === 3 ? 'corosync-quorumtool -s' : quorumWaitScript({ members: 2, quorate: true }, 3),
        );
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

describe('executor batches', () => {
  /** Per machine: each `do-*` command waits until released, so the test sees what runs at once. */
  function gatedWorld(fail: Set<string> = new Set()) {
    const running = new Set<string>();
    const maxAtOnce = { n: 0 };
    const log: string[] = [];
    const runnerFor = (machine: string): CommandRunner => ({
      label: machine,
      async run(command) {
        log.push(`${machine}: ${command}`);
        running.add(`${machine}:${command}`);
        maxAtOnce.n = Math.max(maxAtOnce.n, running.size);
        await new Promise((r) => setTimeout(r, 20));
        running.delete(`${machine}:${command}`);
        if (fail.has(`${machine}:${command}`)) {
          return ok({ stdout: '', stderr: 'boom', exitCode: 1, signal: null });
        }
        return ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
      },
      async upload() {
        return ok(undefined);
      },
      async close() {},
    });
    return { runnerFor, log, maxAtOnce };
  }
  const on = (machine: string, name: string, batch?: string): Step => ({
    id: `${name}@${machine}`,
    machine,
    title: name,
    action: { kind: 'run', command: `do-${name}` },
    rollback: { kind: 'run', command: `undo-${name}` },
    ...(batch ? { batch } : {}),
  });
  const planOf = (steps: Step[]): Plan => ({ ...plan([]), steps });

  it('runs the steps of a batch at once and the next step only after all of them', async () => {
    const w = gatedWorld();
    const journal = memoryJournal();
    const r = await executePlan(
      planOf([on('m1', 'a'), on('m1', 'b', 'B'), on('m2', 'b', 'B'), on('m3', 'b', 'B'), on('m1', 'c')]),
      { runnerFor: w.runnerFor, journal },
    );
    expect(r.ok && r.value.journal.state).toBe('done');
    expect(w.maxAtOnce.n).toBe(3);
    expect(w.log[0]).toBe('m1: do-a');
    expect(w.log.slice(1, 4).sort()).toEqual(['m1: do-b', 'm2: do-b', 'm3: do-b']);
    expect(w.log[4]).toBe('m1: do-c');
    // Every finished step journaled one save at a time, in the order they finished.
    expect(journal.saved.map((j) => j.done.length)).toEqual([0, 1, 2, 3, 4, 5, 5]);
  });

  it('runs at most PER_MACHINE commands at once on one machine (sshd MaxSessions), however large the batch', async () => {
    const w = gatedWorld();
    const steps = Array.from({ length: 9 }, (_, i) => on('m1', `s${i}`, 'B'));
    const r = await executePlan(planOf(steps), { runnerFor: w.runnerFor, journal: memoryJournal() });
    expect(r.ok && r.value.journal.done).toHaveLength(9);
    expect(w.maxAtOnce.n).toBe(PER_MACHINE);
  });

  it('a failure in a batch lets the others finish, journals the first failure, and a resume runs only what failed', async () => {
    const w = gatedWorld(new Set(['m2:do-b']));
    const journal = memoryJournal();
    const p = planOf([on('m1', 'a'), on('m1', 'b', 'B'), on('m2', 'b', 'B'), on('m3', 'b', 'B'), on('m1', 'c')]);
    const first = await executePlan(p, { runnerFor: w.runnerFor, journal });
    expect(!first.ok && first.error.message).toContain('boom');
    const j = await journal.load('join-lab');
    expect(j?.state).toBe('failed');
    expect(j?.error?.stepId).toBe('b@m2');
    expect([...j!.done].sort()).toEqual(['a@m1', 'b@m1', 'b@m3']);
    expect(w.log).not.toContain('m1: do-c');
    w.log.length = 0;
    const ok2 = gatedWorld();
    const second = await executePlan(p, { runnerFor: ok2.runnerFor, journal });
    expect(second.ok && second.value.resumed).toBe(true);
    expect(ok2.log).toEqual(['m2: do-b', 'm1: do-c']);
  });

  it('rolling back a failed batch undoes its unfinished steps too (they had started), then the rest newest first', async () => {
    const w = gatedWorld(new Set(['m2:do-b', 'm3:do-b']));
    const journal = memoryJournal();
    const p = planOf([on('m1', 'a'), on('m1', 'b', 'B'), on('m2', 'b', 'B'), on('m3', 'b', 'B'), on('m1', 'c')]);
    await executePlan(p, { runnerFor: w.runnerFor, journal });
    const back = gatedWorld();
    const r = await executePlan(p, { runnerFor: back.runnerFor, journal, unfinished: 'rollback' });
    expect(r.ok && r.value.journal.state).toBe('rolled-back');
    expect(back.log).toEqual(['m3: undo-b', 'm2: undo-b', 'm1: undo-b', 'm1: undo-a']);
  });
});

describe('step scripts, run by a real sh', () => {
  it('write-file and copy-file write atomically with the mode, and skip a file already there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorate-write-'));
    try {
      const target = join(dir, 'sub dir', 'auth key');
      const p = planOf2([
        {
          id: 'w',
          machine: 'a',
          title: 'write',
          action: { kind: 'write-file', path: join(dir, 'conf'), content: "it's $(not run)\n", mode: 0o640 },
        },
        {
          id: 'c',
          machine: 'b',
          title: 'copy',
          action: { kind: 'copy-file', from: 'a', fromPath: join(dir, 'conf'), path: target, mode: 0o400 },
        },
      ]);
      const first = await executePlan(p, { runnerFor: () => localRunner(), journal: memoryJournal() });
      expect(first.ok && first.value.skipped).toEqual([]);
      expect(readFileSync(target, 'utf8')).toBe("it's $(not run)\n");
      expect(statSync(target).mode & 0o777).toBe(0o400);
      expect(statSync(join(dir, 'conf')).mode & 0o777).toBe(0o640);
      expect(readdirSync(join(dir, 'sub dir'))).toEqual(['auth key']);
      const again = await executePlan(p, { runnerFor: () => localRunner(), journal: memoryJournal() });
      expect(again.ok && again.value.skipped).toEqual(['w', 'c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the node-side quorum wait returns the output once it looks right, or the last one after its bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorate-qwait-'));
    try {
      // A stand-in corosync-quorumtool on PATH: quorate with 3 nodes once the flag file exists.
      writeFileSync(
        join(dir, 'corosync-quorumtool'),
        `#!/bin/sh\nif [ -f ${dir}/up ]; then echo 'Nodes:            3'; exit 0; fi\necho 'Nodes:            2'; exit 2\n`,
        { mode: 0o755 },
      );
      const run = (s: string) =>
        new Promise<string>((resolve) =>
          execFile('sh', ['-c', s], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }, (_e, out) =>
            resolve(out),
          ),
        );
      // Not there within its bound: the last output comes back for the executor to read.
      expect(await run(quorumWaitScript({ members: 3, quorate: true }, 0.5))).toContain('Nodes:            2');
      // It comes while the node waits: the answer is the new output.
      setTimeout(() => writeFileSync(join(dir, 'up'), ''), 300);
      expect(await run(quorumWaitScript({ members: 3, quorate: true }, 30))).toContain('Nodes:            3');
      expect(await run(quorumWaitScript({ members: 3, quorate: false }, 0.3))).toContain('Nodes:            3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function planOf2(steps: Step[]): Plan {
  return { ...plan([]), steps };
}

describe('cancelling a batch', () => {
  it('is a cancel: the journal stays resumable, and the error says cancelled, not the stopped command', async () => {
    const ac = new AbortController();
    const runnerFor = (machine: string): CommandRunner => ({
      label: machine,
      async run(command, o) {
        if (machine === 'm1') {
          // m1 finishes first and the user cancels; m2's command is still running and is stopped.
          setTimeout(() => ac.abort(), 5);
          return ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
        }
        await new Promise((r) => setTimeout(r, 50));
        return o?.signal?.aborted
          ? err('ssh.command-aborted', `cancelled while running on ${machine}`, 'run it again')
          : ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
      },
      async upload() {
        return ok(undefined);
      },
      async close() {},
    });
    const steps: Step[] = ['m1', 'm2'].map((m) => ({
      id: `s@${m}`,
      machine: m,
      title: 's',
      action: { kind: 'run', command: `do-${m}` },
      batch: 'B',
    }));
    const journal = memoryJournal();
    const r = await executePlan({ ...plan([]), steps }, { runnerFor, journal, signal: ac.signal });
    expect(!r.ok && r.error.code).toBe('ops.cancelled');
    const j = await journal.load('join-lab');
    expect(j?.state).toBe('failed');
    expect(j?.done).toEqual(['s@m1']);
  });
});
