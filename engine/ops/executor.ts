/**
 * Runs a plan step by step over `CommandRunner`s, journaling after every step. The next run of the
 * same command (same op id) resumes the journaled plan where it stopped — steps are idempotent, so
 * the one interrupted mid-way is simply run again — or rolls the finished steps back in reverse.
 */
import { createHash } from 'node:crypto';
import { err, ok, type Result } from '../result';
import type { CommandOutput, CommandRunner } from '../ssh/runner';
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../corosync';
import { isUnfinished, opIdOf, type Journal, type JournalStore } from './journal';
import type { Plan, Step, StepAction, StepProgress } from './plan';
import { limitPerMachine } from './machine-limit';
import {
  ALREADY_DONE,
  readBase64Command,
  restoreConfScript,
  quorumWaitScript,
  runUnlessDoneScript,
  stagedInstallConfScript,
  startServiceScript,
  stopServiceScript,
  writeFromStdinScript,
} from './scripts';

export type StepEventState = 'running' | 'done' | 'skipped' | 'failed' | 'rolled-back';

export interface StepEvent {
  readonly stepId: string;
  readonly machine: string;
  readonly title: string;
  readonly state: StepEventState;
  readonly line?: string;
}

export interface ExecuteOptions {
  /** The runner for a machine; undefined when it cannot be reached. */
  readonly runnerFor: (machine: string) => CommandRunner | undefined;
  readonly journal: JournalStore;
  readonly onEvent?: (e: StepEvent) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /** Default deadline per step, ms (wait-quorum steps carry their own). */
  readonly stepTimeoutMs?: number;
  /** What to do with an unfinished journal of the same op: continue it (default) or undo it. */
  readonly unfinished?: 'resume' | 'rollback';
}

export interface ExecuteOutcome {
  readonly journal: Journal;
  /** True when an interrupted run of the same command was continued (or rolled back). */
  readonly resumed: boolean;
  readonly skipped: readonly string[];
}

/**
 * Execute `plan` (or the unfinished journaled plan of the same op). Fails at the first failing step,
 * leaving the journal `failed` so the next run can resume or roll back.
 */
export async function executePlan(plan: Plan, given: ExecuteOptions): Promise<Result<ExecuteOutcome>> {
  const opts: ExecuteOptions = { ...given, runnerFor: limitPerMachine(given.runnerFor) };
  const now = opts.now ?? Date.now;
  const opId = opIdOf(plan);
  const previous = await opts.journal.load(opId);
  if (isUnfinished(previous) && opts.unfinished === 'rollback') {
    return rollback(previous, opts);
  }
  const resumed = isUnfinished(previous);
  let journal: Journal = resumed
    ? { ...previous, state: 'running', updatedAt: new Date(now()).toISOString() }
    : {
        opId,
        plan,
        done: [],
        state: 'running',
        startedAt: new Date(now()).toISOString(),
        updatedAt: new Date(now()).toISOString(),
      };
  await opts.journal.save(journal);
  const skipped: string[] = [];
  // Journal writes and events in the order steps finish, one at a time (a batch finishes in any order).
  let saving: Promise<void> = Promise.resolve();
  const finished = (step: Step, state: 'done' | 'skipped'): Promise<void> =>
    (saving = saving.then(async () => {
      if (state === 'skipped') {
        skipped.push(step.id);
      }
      journal = { ...journal, done: [...journal.done, step.id], updatedAt: new Date(now()).toISOString() };
      await opts.journal.save(journal);
      opts.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state });
    }));
  for (const group of batchesOf(journal.plan.steps)) {
    const todo = group.filter((s) => !journal.done.includes(s.id));
    const results = await Promise.all(
      todo.map(async (step) => {
        opts.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state: 'running' });
        const r = await runStep(step, step.action, opts);
        if (r.ok) {
          await finished(step, r.value);
        }
        return { step, r };
      }),
    );
    await saving;
    const failures = results.filter((x) => !x.r.ok);
    if (failures.length) {
      // The first failure in plan order is the journal's; every failed step of the batch is reported.
      // Cancelled while a batch ran: its other commands were stopped too — a cancel, not a failure.
      const first = failures[0]!;
      const e = opts.signal?.aborted
        ? err(
            'ops.cancelled',
            `cancelled while "${first.step.title}" ran on ${first.step.machine}`,
            'Run the same command again to continue.',
          ).error
        : first.r.ok
          ? undefined
          : first.r.error;
      journal = {
        ...journal,
        state: 'failed',
        updatedAt: new Date(now()).toISOString(),
        error: { stepId: first.step.id, code: e!.code, message: e!.message },
      };
      await opts.journal.save(journal);
      for (const { step, r } of failures) {
        opts.onEvent?.({
          stepId: step.id,
          machine: step.machine,
          title: step.title,
          state: 'failed',
          line: r.ok ? '' : r.error.message,
        });
      }
      return e ? { ok: false, error: e } : err('ops.bug', 'a failed step without an error', 'Report this as a bug.');
    }
  }
  const { error: _e, ...rest } = journal;
  journal = { ...rest, state: 'done', updatedAt: new Date(now()).toISOString() };
  await opts.journal.save(journal);
  return ok({ journal, resumed, skipped });
}

/** The plan's steps as it runs them: consecutive steps with the same `batch` together, the others alone. */
export function batchesOf(steps: readonly Step[]): Step[][] {
  const out: Step[][] = [];
  for (const s of steps) {
    const last = out.at(-1);
    if (last && s.batch !== undefined && last[0]!.batch === s.batch) {
      last.push(s);
    } else {
      out.push([s]);
    }
  }
  return out;
}

/** Undo the finished steps of an unfinished journal, newest first. */
export async function rollback(journal: Journal, opts: ExecuteOptions): Promise<Result<ExecuteOutcome>> {
  const now = opts.now ?? Date.now;
  const steps = journal.plan.steps.filter((s) => journal.done.includes(s.id) && s.rollback).reverse();
  // The step that failed (or was killed) may have half-run: undo it too when it has an undo — and so
  // every unfinished step of its batch, which had started beside it.
  const failedId = journal.error?.stepId ?? journal.plan.steps.find((s) => !journal.done.includes(s.id))?.id;
  const batch = batchesOf(journal.plan.steps).find((g) => g.some((s) => s.id === failedId)) ?? [];
  const failed = batch.filter((s) => !journal.done.includes(s.id) && s.rollback).reverse();
  const all = [...failed, ...steps];
  let done = [...journal.done];
  for (const step of all) {
    const r = await runStep(step, step.rollback!, opts);
    if (!r.ok) {
      await opts.journal.save({
        ...journal,
        done,
        state: 'failed',
        updatedAt: new Date(now()).toISOString(),
        error: { stepId: step.id, code: r.error.code, message: `rollback: ${r.error.message}` },
      });
      return r;
    }
    done = done.filter((d) => d !== step.id);
    opts.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state: 'rolled-back' });
  }
  const out: Journal = { ...journal, done, state: 'rolled-back', updatedAt: new Date(now()).toISOString() };
  await opts.journal.save(out);
  return ok({ journal: out, resumed: true, skipped: [] });
}

function progressFor(step: Step, action: StepAction, opts: ExecuteOptions): StepProgress {
  const now = opts.now ?? Date.now;
  const timeout =
    action.kind === 'wait-quorum'
      ? action.timeoutMs
      : action.kind === 'run' && action.timeoutMs
        ? action.timeoutMs
        : (opts.stepTimeoutMs ?? 60_000);
  return {
    deadline: now() + timeout,
    signal: opts.signal ?? new AbortController().signal,
    log: (line) =>
      opts.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state: 'running', line }),
    now,
  };
}

/** The step's script found the machine already in the wanted state (`ALREADY_DONE` on a line of its own). */
const alreadyDone = (out: CommandOutput): boolean => out.stdout.split('\n').some((l) => l.trim() === ALREADY_DONE);

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function exec(
  runner: CommandRunner,
  command: string,
  p: StepProgress,
  stdin?: string,
): Promise<Result<CommandOutput>> {
  const timeoutMs = Math.max(1000, p.deadline - p.now());
  const r = await runner.run(command, { timeoutMs, signal: p.signal, ...(stdin !== undefined ? { stdin } : {}) });
  if (!r.ok) {
    return err(r.error.code, `${runner.label}: ${r.error.message}`, r.error.hint, r.error.cause);
  }
  return r;
}

async function must(
  runner: CommandRunner,
  command: string,
  p: StepProgress,
  what: string,
  stdin?: string,
): Promise<Result<CommandOutput>> {
  const r = await exec(runner, command, p, stdin);
  if (!r.ok) {
    return r;
  }
  if (r.value.exitCode !== 0) {
    const detail = (r.value.stderr.trim() || r.value.stdout.trim()).split('\n').slice(-5).join(' | ');
    return err(
      'ops.step-failed',
      `${runner.label}: ${what} failed (exit ${r.value.exitCode ?? r.value.signal}): ${detail}`,
      'Fix the cause shown, then run the same command again: it continues where it stopped (or add --rollback to undo).',
    );
  }
  return r;
}

/** Run one action on its machine. Resolves `skipped` when the machine already was in the wanted state. */
export async function runStep(
  step: Step,
  action: StepAction,
  opts: ExecuteOptions,
): Promise<Result<'done' | 'skipped'>> {
  const runner = opts.runnerFor(step.machine);
  if (!runner) {
    return err(
      'ops.unreachable',
      `${step.machine} is not reachable for step "${step.title}"`,
      'Check that the machine is up and reachable over SSH, then run the command again.',
    );
  }
  const p = progressFor(step, action, opts);
  if (p.signal.aborted) {
    return err(
      'ops.cancelled',
      `cancelled before "${step.title}" on ${runner.label}`,
      'Run the same command again to continue.',
    );
  }
  switch (action.kind) {
    case 'run': {
      const command = action.doneIf ? runUnlessDoneScript(action.doneIf, action.command) : action.command;
      const r = await must(runner, command, p, step.title);
      return r.ok ? ok(alreadyDone(r.value) ? 'skipped' : 'done') : r;
    }
    case 'write-file': {
      const r = await must(
        runner,
        writeFromStdinScript(action.path, sha256(action.content), action.mode),
        p,
        `writing ${action.path}`,
        Buffer.from(action.content).toString('base64'),
      );
      return r.ok ? ok(alreadyDone(r.value) ? 'skipped' : 'done') : r;
    }
    case 'copy-file': {
      const source = opts.runnerFor(action.from);
      if (!source) {
        return err(
          'ops.unreachable',
          `${action.from} is not reachable to copy ${action.fromPath}`,
          'Check that the machine is up, then run the command again.',
        );
      }
      const read = await must(source, readBase64Command(action.fromPath), p, `reading ${action.fromPath}`);
      if (!read.ok) {
        return read;
      }
      const b64 = read.value.stdout.trim();
      const r = await must(
        runner,
        writeFromStdinScript(action.path, sha256(Buffer.from(b64, 'base64')), action.mode, { mkdir: true }),
        p,
        `writing ${action.path}`,
        b64,
      );
      return r.ok ? ok(alreadyDone(r.value) ? 'skipped' : 'done') : r;
    }
    case 'install-conf': {
      const r = await must(
        runner,
        stagedInstallConfScript(sha256(action.content), action.from),
        p,
        `installing corosync.conf (config_version ${action.configVersion})`,
        Buffer.from(action.content).toString('base64'),
      );
      return r.ok ? ok(alreadyDone(r.value) ? 'skipped' : 'done') : r;
    }
    case 'restore-conf': {
      const r = await must(runner, restoreConfScript(action.version), p, 'restoring the previous corosync.conf');
      return r.ok ? ok('done') : r;
    }
    case 'start-service': {
      const r = await must(runner, startServiceScript(action.service), p, `starting ${action.service}`);
      if (!r.ok) {
        return r;
      }
      return ok(/already running/.test(r.value.stdout) ? 'skipped' : 'done');
    }
    case 'stop-service': {
      const r = await must(runner, stopServiceScript(action.service), p, `stopping ${action.service}`);
      return r.ok ? ok('done') : r;
    }
    case 'reload-corosync': {
      const r = await must(runner, 'corosync-cfgtool -R', p, 'reloading corosync.conf on every node');
      return r.ok ? ok('done') : r;
    }
    case 'wait-quorum': {
      const r = await waitQuorum(runner, action, p);
      return r.ok ? ok('done') : r;
    }
  }
}

/**
 * Until `corosync-quorumtool -s` shows what is wanted: asked once, then through `quorumWaitScript`,
 * which waits on the node and answers within ~0.1 s of the change (each answer parsed here; each
 * call bounded: the tool can block for seconds with a QDevice).
 */
export async function waitQuorum(
  runner: CommandRunner,
  want: { members: number; quorate: boolean; qdeviceVote?: boolean },
  p: StepProgress,
): Promise<Result<QuorumtoolStatus>> {
  let last = 'no answer';
  for (let first = true; p.now() < p.deadline && !p.signal.aborted; first = false) {
    const waitS = Math.min(3, Math.max(0, (p.deadline - p.now()) / 1000 - 1));
    const command = first || waitS < 0.2 ? 'corosync-quorumtool -s' : quorumWaitScript(want, waitS);
    const t0 = p.now();
    const r = await runner.run(command, { timeoutMs: 8000 + waitS * 1000, signal: p.signal });
    if (r.ok) {
      const parsed = parseQuorumtoolStatus(r.value.stdout);
      const s = parsed.ok ? parsed.value : null;
      // Only votequorum answers what a plan waits for (another quorum provider has no votes to show).
      const vq = s?.votequorum;
      if (s && vq) {
        const qdevice = s.qdevice?.votes ?? 0;
        last = `${s.members.length} member(s), ${s.quorate ? 'quorate' : 'not quorate'}, ${vq.totalVotes}/${vq.expectedVotes} votes${s.qdevice ? `, qdevice ${qdevice}` : ''}`;
        const qd = want.qdeviceVote === undefined || (want.qdeviceVote ? qdevice > 0 : qdevice === 0);
        if (s.members.length === want.members && s.quorate === want.quorate && qd) {
          return ok(s);
        }
      } else {
        last = (r.value.stderr || r.value.stdout).trim().split('\n')[0] ?? last;
      }
    }
    p.log(last);
    // The node's own wait returned early (what it looks at holds, what is parsed here not yet): a
    // short pause, so this never spins.
    if (p.now() - t0 < 500) {
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return err(
    'ops.verify-timeout',
    `${runner.label}: corosync did not reach ${want.members} member(s), ${want.quorate ? 'quorate' : 'inquorate'} in time (last: ${last})`,
    'Check the corosync log on that node (/var/log/quorate/corosync.log or journalctl -u corosync) and the network between the nodes (pre-flight).',
  );
}
