/**
 * Rolling updates and restarts, one node at a time, journaled: for each node in nodelist order —
 * what-if gate → maintenance on → the user's command (live output) → restart the cluster services
 * or reboot, when asked → wait until the node is back in the membership, the cluster quorate and
 * its links up → maintenance off → next node. The first failure stops the run with that node left
 * in maintenance; running the same request again resumes at the failed step. Machine steps go
 * through the ops executor's `runStep` (the same actions, output and timeouts as every operation).
 *
 * The journal is `$QUORATE_HOME/rolling/<cluster>.json` (its own shape: a rolling run is not an ops
 * `Plan` — its gates and maintenance marks run in the engine, not on a machine). Two runs on one
 * cluster never interleave: the run holds the ops per-cluster lock (`lock.fs.ts`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCfgtoolStatus, parseQuorumtoolStatus } from '../corosync';
import type { Result } from '../result';
import { err, ok } from '../result';
import { sh } from '../shell';
import type { CommandRunner } from '../ssh/runner';
import { AGENT_PID_PATH } from '../bootstrap/scripts';
import { acquireLock } from './lock.fs';
import { runStep, type StepEvent } from './executor';
import { fileJournalStore, writeFileAtomicOrThrow } from './journal.fs';
import type { Step, StepAction } from './plan';

export type RestartMode = 'none' | 'services' | 'reboot';

export interface RollingRequest {
  readonly cluster: string;
  /** The user's shell command, run as root on each node (e.g. `apt-get -y full-upgrade`). */
  readonly command: string;
  readonly restart: RestartMode;
}

export type RollingStepKind = 'gate' | 'maintenance-on' | 'command' | 'restart' | 'wait-back' | 'maintenance-off';

export interface RollingStep {
  /** `command@node2`. */
  readonly id: string;
  readonly node: string;
  readonly machine: string;
  readonly kind: RollingStepKind;
  readonly title: string;
}

export interface RollingJournal {
  readonly cluster: string;
  readonly request: RollingRequest;
  readonly steps: readonly RollingStep[];
  readonly done: readonly string[];
  readonly state: 'running' | 'failed' | 'done';
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly error?: { readonly stepId: string; readonly code: string; readonly message: string };
}

export interface RollingDeps {
  readonly home: string;
  connect(machine: string): Promise<Result<CommandRunner>>;
  /** The live what-if for `node` going away: must stay quorate to proceed. */
  gate(node: string, runner?: CommandRunner): Promise<Result<{ quorate: boolean; reason: string }>>;
  /** Maintenance mode on/off through the maintenance use case (marks, HA engines). */
  maintenance(node: string, on: boolean): Promise<Result<unknown>>;
  /** Whether the cluster has a QDevice (its daemon restarts with corosync). */
  readonly qdevice: boolean;
  /** Members the membership must show again after each node's restart (the nodelist size). */
  readonly members: number;
  readonly onEvent?: (e: StepEvent) => void;
  readonly now?: () => number;
  /** How long a node may take to come back after its restart (ms, default 5 minutes). */
  readonly backTimeoutMs?: number;
}

/** The steps for `nodes` (name → machine, nodelist order). */
export function rollingSteps(request: RollingRequest, nodes: readonly [string, string][]): RollingStep[] {
  const restart =
    request.restart === 'services'
      ? 'restart the cluster services (corosync)'
      : 'reboot (in the lab: stop and start corosync and the agent)';
  return nodes.flatMap(([node, machine]) => {
    const step = (kind: RollingStepKind, title: string): RollingStep => ({
      id: `${kind}@${node}`,
      node,
      machine,
      kind,
      title,
    });
    return [
      step('gate', `what-if: is the cluster still quorate without ${node}?`),
      step('maintenance-on', `put ${node} in maintenance`),
      step('command', `run: ${request.command}`),
      ...(request.restart === 'none' ? [] : [step('restart', restart)]),
      step('wait-back', `wait until ${node} is back: member, cluster quorate, links up`),
      step('maintenance-off', `take ${node} out of maintenance`),
    ];
  });
}

const journalPath = (home: string, cluster: string): string => join(home, 'rolling', `${cluster}.json`);

export async function loadRollingJournal(home: string, cluster: string): Promise<RollingJournal | null> {
  try {
    return JSON.parse(await readFile(journalPath(home, cluster), 'utf8')) as RollingJournal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw e;
  }
}

async function saveJournal(home: string, j: RollingJournal): Promise<void> {
  await mkdir(join(home, 'rolling'), { recursive: true, mode: 0o700 });
  await writeFileAtomicOrThrow(journalPath(home, j.cluster), `${JSON.stringify(j, null, 2)}\n`);
}

/** Links up: every peer of every link `connected` in `corosync-cfgtool -s`. */
export const linksUpCommand = 'corosync-cfgtool -s';
const SPLIT = '--quorate-split--';
export function linksUp(text: string): boolean {
  const s = parseCfgtoolStatus(text);
  return (
    s.ok && s.value.links.length > 0 && s.value.links.every((l) => l.peers.every((p) => p.status !== 'disconnected'))
  );
}

/** The lab's "reboot" (no systemd: stop and start corosync, restart the agent); a real reboot elsewhere. */
function rebootScript(): string {
  return sh`if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  (sleep 1; systemctl reboot) >/dev/null 2>&1 &
  echo rebooting
else
  p=$(cat ${AGENT_PID_PATH} 2>/dev/null); [ -n "$p" ] && kill "$p" 2>/dev/null
  echo "no systemd: agent restarted by its supervisor"
fi`;
}

/**
 * Run (or resume) a rolling request. Resolves with the journal when every node is done; fails at
 * the first failing step with the journal saved as `failed` and the node left in maintenance.
 */
export async function runRolling(
  request: RollingRequest,
  nodes: readonly [string, string][],
  deps: RollingDeps,
): Promise<Result<RollingJournal>> {
  const now = deps.now ?? Date.now;
  const stamp = (): string => new Date(now()).toISOString();
  // The ops per-cluster lock: no other operation (and no second rolling run) while this one runs.
  const lock = await acquireLock(deps.home, request.cluster, `rolling ${request.command}`);
  if (!lock.ok) {
    return lock;
  }
  const runners = new Map<string, CommandRunner>();
  try {
    const previous = await loadRollingJournal(deps.home, request.cluster);
    const unfinished = previous && previous.state !== 'done' ? previous : null;
    if (unfinished && JSON.stringify(unfinished.request) !== JSON.stringify(request)) {
      return err(
        'rolling.unfinished',
        `an unfinished rolling run of ${request.cluster} (${unfinished.request.command}) stopped at ${unfinished.error?.stepId ?? 'a step'}`,
        'Run that same request again to resume it; a different one waits until it is done.',
      );
    }
    let journal: RollingJournal = unfinished
      ? { ...unfinished, state: 'running', updatedAt: stamp() }
      : {
          cluster: request.cluster,
          request,
          steps: rollingSteps(request, nodes),
          done: [],
          state: 'running',
          startedAt: stamp(),
          updatedAt: stamp(),
        };
    await saveJournal(deps.home, journal);
    for (const step of journal.steps) {
      if (journal.done.includes(step.id)) {
        continue;
      }
      deps.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state: 'running' });
      const r = await runOne(step, journal.request, deps, runners);
      if (!r.ok) {
        const { cliHint: _c, ...plain } = r.error;
        void _c;
        journal = {
          ...journal,
          state: 'failed',
          updatedAt: stamp(),
          error: { stepId: step.id, code: plain.code, message: plain.message },
        };
        await saveJournal(deps.home, journal);
        deps.onEvent?.({
          stepId: step.id,
          machine: step.machine,
          title: step.title,
          state: 'failed',
          line: r.error.message,
        });
        const left = step.kind === 'gate' ? '' : ` ${step.node} stays in maintenance;`;
        return err(
          r.error.code === 'rolling.gate' ? 'rolling.gate' : 'rolling.step-failed',
          `${step.node}: ${step.title} failed: ${r.error.message}`,
          `Nodes after ${step.node} are untouched;${left} fix the cause, then run the same rolling command again to resume at this step.`,
          r.error.cause,
        );
      }
      journal = { ...journal, done: [...journal.done, step.id], updatedAt: stamp() };
      await saveJournal(deps.home, journal);
      deps.onEvent?.({ stepId: step.id, machine: step.machine, title: step.title, state: 'done' });
    }
    journal = { ...journal, state: 'done', updatedAt: stamp() };
    const { error: _e, ...finished } = journal;
    void _e;
    await saveJournal(deps.home, finished);
    return ok(finished);
  } finally {
    await Promise.all([...runners.values()].map((r) => r.close()));
    await lock.value.release();
  }
}

async function runOne(
  step: RollingStep,
  request: RollingRequest,
  deps: RollingDeps,
  runners: Map<string, CommandRunner>,
): Promise<Result<void>> {
  switch (step.kind) {
    case 'gate': {
      const own = await runnerFor(step.machine, deps, runners);
      const g = await deps.gate(step.node, own.ok ? own.value : undefined);
      if (!g.ok) {
        return g;
      }
      return g.value.quorate
        ? ok(undefined)
        : err(
            'rolling.gate',
            `the cluster would lose quorum without ${step.node}: ${g.value.reason}`,
            'Bring the missing nodes back first.',
          );
    }
    case 'maintenance-on':
    case 'maintenance-off': {
      const m = await deps.maintenance(step.node, step.kind === 'maintenance-on');
      return m.ok ? ok(undefined) : m;
    }
    default:
      break;
  }
  const runner = await runnerFor(step.machine, deps, runners);
  if (!runner.ok) {
    return runner;
  }
  const exec = (id: string, title: string, action: StepAction, timeoutMs?: number) =>
    runStep({ id, machine: step.machine, title, action } satisfies Step, action, {
      runnerFor: () => runner.value,
      journal: fileJournalStore(deps.home),
      ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
      ...(timeoutMs ? { stepTimeoutMs: timeoutMs } : {}),
    });
  const services = deps.qdevice ? (['corosync-qdevice', 'corosync'] as const) : (['corosync'] as const);
  switch (step.kind) {
    case 'command': {
      const r = await exec(
        step.id,
        step.title,
        { kind: 'run', command: request.command, timeoutMs: 3_600_000 },
        3_600_000,
      );
      return r.ok ? ok(undefined) : r;
    }
    case 'restart': {
      for (const service of services) {
        const r = await exec(`stop-${service}@${step.node}`, `stop ${service}`, { kind: 'stop-service', service });
        if (!r.ok) {
          return r;
        }
      }
      if (request.restart === 'reboot') {
        const r = await exec(`reboot@${step.node}`, 'reboot', { kind: 'run', command: rebootScript() });
        if (!r.ok) {
          return r;
        }
        // A real reboot drops the session: reconnect below (wait-back) after it comes back.
        runners.delete(step.machine);
        await runner.value.close();
        return ok(undefined);
      }
      for (const service of [...services].reverse()) {
        const r = await exec(`start-${service}@${step.node}`, `start ${service}`, { kind: 'start-service', service });
        if (!r.ok) {
          return r;
        }
      }
      return ok(undefined);
    }
    case 'wait-back':
      return waitBack(step, request, deps, runners);
  }
}

async function runnerFor(
  machine: string,
  deps: RollingDeps,
  runners: Map<string, CommandRunner>,
): Promise<Result<CommandRunner>> {
  const have = runners.get(machine);
  if (have) {
    return ok(have);
  }
  const r = await deps.connect(machine);
  if (r.ok) {
    runners.set(machine, r.value);
  }
  return r;
}

/** Reconnect (after a reboot), start the services if they are not (idempotent), wait for membership, quorum and links. */
async function waitBack(
  step: RollingStep,
  request: RollingRequest,
  deps: RollingDeps,
  runners: Map<string, CommandRunner>,
): Promise<Result<void>> {
  const now = deps.now ?? Date.now;
  const until = now() + (deps.backTimeoutMs ?? 300_000);
  let runner: Result<CommandRunner> = await runnerFor(step.machine, deps, runners);
  while (!runner.ok && now() < until) {
    await new Promise((r) => setTimeout(r, 2000));
    runner = await runnerFor(step.machine, deps, runners);
  }
  if (!runner.ok) {
    return err(
      'rolling.not-back',
      `${step.node} did not answer over SSH again`,
      'Check the machine; the run stops here.',
    );
  }
  const r = runner.value;
  const opts = {
    runnerFor: () => r,
    journal: fileJournalStore(deps.home),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  };
  if (request.restart === 'reboot') {
    for (const service of deps.qdevice ? (['corosync', 'corosync-qdevice'] as const) : (['corosync'] as const)) {
      const action: StepAction = { kind: 'start-service', service };
      const s = await runStep(
        { id: `start-${service}@${step.node}`, machine: step.machine, title: `start ${service}`, action },
        action,
        opts,
      );
      if (!s.ok) {
        return s;
      }
    }
  }
  // One poll of both tools every 200 ms (the executor's wait-quorum polls every 500 ms): the
  // rolling run should cost little more than corosync's own rejoin (bench: rolling.bench.ts).
  let last = 'no answer';
  while (now() < until) {
    const q = await r.run(`corosync-quorumtool -s; echo ${SPLIT}; ${linksUpCommand}`, { timeoutMs: 10_000 });
    if (q.ok) {
      const [quorum = '', links = ''] = q.value.stdout.split(`${SPLIT}\n`);
      const parsed = parseQuorumtoolStatus(quorum);
      const s = parsed.ok ? parsed.value : null;
      const qdeviceOk = !deps.qdevice || (s?.qdevice?.votes ?? 0) > 0;
      if (s) {
        last = `${s.members.length} member(s), ${s.quorate ? 'quorate' : 'not quorate'}`;
      }
      if (s && s.members.length === deps.members && s.quorate && qdeviceOk) {
        if (linksUp(links)) {
          deps.onEvent?.({
            stepId: step.id,
            machine: step.machine,
            title: step.title,
            state: 'running',
            line: `${last}, links up`,
          });
          return ok(undefined);
        }
        last = `${last}, a link is still down`;
      }
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return err(
    'rolling.not-back',
    `${step.node} is not back in time (last: ${last})`,
    'Check corosync on the node (`corosync-quorumtool -s`, `corosync-cfgtool -s`); the nodes after it are untouched.',
  );
}
