/**
 * The shared runner of every operation: the context, the machines' runners (opened once per
 * operation, closed together), reading the cluster as it is, executing a plan through the journal,
 * and the registry updates a membership change ends with. One file per operation sits beside it (op-*.ts).
 * Over 400 lines: the runner, the cluster read and the reviewed plan's re-check (PlanBasis, checkBasis,
 * runReviewed) all work on the same `Runners` of one operation; the re-check is the seam to move out if
 * it grows.
 */
import { err, ok, type Result } from '../result';
import { sh } from '../shell';
import type { LinkNumber } from '../model/cluster';
import type { PreflightReport } from '../preflight/types';
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../corosync';
import type { CommandRunner } from '../ssh/runner';
import {
  executePlan,
  rollback as rollbackJournal,
  type ExecuteOptions,
  type ExecuteOutcome,
  type StepEvent,
} from './executor';
import { isUnfinished, opIdOf, type JournalStore } from './journal';
import type { Plan } from './plan';
import type { AgentOptions } from './preflight-gather.ssh';
import { loadCluster, updateCluster, type ClusterRecord } from './registry.fs';
import { withLock } from './lock.fs';
import { specFromConf, type ClusterSpec } from './spec';
export interface OpsContext {
  /** A root-capable runner for a machine added to Quorate (SSH in the product). */
  connect(machine: string): Promise<Result<CommandRunner>>;
  /** State folder (registry of clusters). */
  readonly home: string;
  readonly journal: JournalStore;
  readonly onEvent?: (e: StepEvent) => void;
  readonly signal?: AbortSignal;
}

export interface OpResult {
  readonly plan: Plan;
  /** Absent with `planOnly`. */
  readonly outcome?: ExecuteOutcome;
  readonly preflight?: PreflightReport;
  /** With `planOnly`: the plan as reviewed, for `runReviewed` to run later without planning again. */
  readonly reviewed?: Reviewed;
}

/**
 * An op's entry point: plan only (no lock: nothing changes), or plan and run under the cluster's lock.
 * An unfinished journal of the op is continued (or, with `rollback`, undone) instead; `resumeOnly`
 * continues it whichever request made it, and plans nothing new when there is none.
 */
export async function planOrRun(
  ctx: OpsContext,
  cluster: string,
  request: string,
  opts: { planOnly?: boolean; rollback?: boolean; resumeOnly?: boolean; op: string },
  planOn: (runners: Runners) => Promise<Result<Reviewed>>,
  finish: Reviewed['finish'],
): Promise<Result<OpResult>> {
  if (opts.planOnly) {
    return withRunners(ctx, async (runners) => {
      const p = await planOn(runners);
      return p.ok
        ? ok({ plan: p.value.plan, ...(p.value.preflight ? { preflight: p.value.preflight } : {}), reviewed: p.value })
        : p;
    });
  }
  return withLock(ctx.home, cluster, `${request} (${cluster})`, () =>
    withRunners(ctx, async (runners) => {
      const rollback = opts.rollback ?? false;
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        opts.op,
        cluster,
        rollback,
        opts.resumeOnly ? null : request,
      );
      if (resumed) {
        return finish(ctx, resumed);
      }
      if (opts.resumeOnly && !rollback) {
        return err(
          'ops.nothing-to-resume',
          `no unfinished "${opts.op}" of ${cluster} to resume`,
          'Nothing was changed. Look at the cluster; plan the operation again if it is still needed.',
        );
      }
      if (opts.rollback || opts.resumeOnly) {
        return err(
          'ops.nothing-to-roll-back',
          `no unfinished "${opts.op}" of ${cluster} to roll back`,
          'Nothing was changed. Look at the cluster; plan the operation again if it is still needed.',
        );
      }
      const p = await planOn(runners);
      return p.ok ? runOn(ctx, runners, p.value) : p;
    }),
  );
}

const TRANSIENT = new Set(['ssh.timeout', 'ssh.unreachable', 'ssh.refused']);

/** Runners opened for one operation, closed together; one per machine, also when asked for at once. */
export class Runners {
  readonly #map = new Map<string, CommandRunner>();
  readonly #opening = new Map<string, Promise<Result<CommandRunner>>>();
  constructor(private readonly ctx: OpsContext) {}
  get(machine: string): Promise<Result<CommandRunner>> {
    const have = this.#map.get(machine);
    if (have) {
      return Promise.resolve(ok(have));
    }
    let opening = this.#opening.get(machine);
    if (!opening) {
      opening = this.#open(machine).finally(() => this.#opening.delete(machine));
      this.#opening.set(machine, opening);
    }
    return opening;
  }
  async #open(machine: string): Promise<Result<CommandRunner>> {
    let r = await this.ctx.connect(machine);
    // One more try on a transient failure (a busy machine missing the handshake deadline).
    if (!r.ok && TRANSIENT.has(r.error.code)) {
      await new Promise((res) => setTimeout(res, 1000));
      r = await this.ctx.connect(machine);
    }
    if (r.ok) {
      this.#map.set(machine, r.value);
    }
    return r;
  }
  peek(machine: string): CommandRunner | undefined {
    return this.#map.get(machine);
  }
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#opening.values()]);
    await Promise.all([...this.#map.values()].map((r) => r.close()));
    this.#map.clear();
  }
}

export async function withRunners<T>(ctx: OpsContext, fn: (r: Runners) => Promise<T>): Promise<T> {
  const runners = new Runners(ctx);
  try {
    return await fn(runners);
  } finally {
    await runners.closeAll();
  }
}

export async function connectAll(
  runners: Runners,
  machines: readonly string[],
): Promise<Result<Map<string, CommandRunner>>> {
  // Every machine at once (an SSH handshake each); the first in order that failed is reported.
  const opened = await Promise.all(machines.map((m) => runners.get(m)));
  const out = new Map<string, CommandRunner>();
  for (const [i, m] of machines.entries()) {
    const r = opened[i]!;
    if (!r.ok) {
      return err(r.error.code, `could not reach ${m}: ${r.error.message}`, r.error.hint, r.error.cause);
    }
    out.set(m, r.value);
  }
  return ok(out);
}

/** Pre-flight reads machines through their agents: installing a missing one shows as a step. */
export function agentOptions(ctx: OpsContext): AgentOptions {
  return {
    onAgentProgress: (p) =>
      ctx.onEvent?.({
        stepId: `agent@${p.machine}`,
        machine: p.machine,
        title: 'install the Quorate agent (pre-flight reads the machine through it)',
        state: p.state,
        line: p.line,
      }),
  };
}

export async function execute(
  ctx: OpsContext,
  runners: Runners,
  plan: Plan,
  rollback: boolean,
): Promise<Result<ExecuteOutcome>> {
  const machines = new Set(plan.steps.map((s) => s.machine));
  for (const s of plan.steps) {
    if (s.action.kind === 'copy-file') {
      machines.add(s.action.from);
    }
  }
  const opened = await Promise.all([...machines].map(async (m) => ({ m, r: await runners.get(m) })));
  for (const { m, r } of opened) {
    if (!r.ok) {
      return err(
        r.error.code,
        `could not reach ${m} to run "${plan.op} ${plan.cluster}": ${r.error.message}`,
        `${r.error.hint} Nothing more was changed; run the same command again to continue.`,
        r.error.cause,
      );
    }
  }
  const opts: ExecuteOptions = {
    runnerFor: (m) => runners.peek(m),
    journal: ctx.journal,
    ...(ctx.onEvent ? { onEvent: ctx.onEvent } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    unfinished: rollback ? 'rollback' : 'resume',
  };
  const r = await executePlan(plan, opts);
  if (r.ok || rollback) {
    return r;
  }
  // A step marked undoOnFailure failed: the cluster is less safe than before until the change is
  // undone, so it is undone now rather than left for the user to roll back.
  const j = await ctx.journal.load(opIdOf(plan));
  const failed = j?.error ? j.plan.steps.find((s) => s.id === j.error!.stepId) : undefined;
  if (!isUnfinished(j) || !failed?.undoOnFailure) {
    return r;
  }
  const back = await rollbackJournal(j, opts);
  return err(
    r.error.code,
    `${r.error.message} — ${back.ok ? 'the change was rolled back: the cluster runs its previous configuration again' : `rolling it back failed too: ${back.error.message}`}`,
    back.ok
      ? 'Nothing of it is left half-done; fix the cause, then plan the operation again.'
      : `${back.error.hint} The journal keeps what is left to undo (run the same command with --rollback).`,
    r.error.cause,
  );
}

/**
 * An unfinished run of the same op: resumed (or rolled back) before anything new is planned or
 * checked. `request` null: whichever request made it.
 */
export async function resumeIfUnfinished(
  ctx: OpsContext,
  runners: Runners,
  op: string,
  cluster: string,
  rollback: boolean,
  request: string | null,
): Promise<Result<OpResult> | null> {
  const other = await otherUnfinished(ctx, op, cluster);
  if (other) {
    return other;
  }
  const j = await ctx.journal.load(opIdOf({ op, cluster }));
  if (!isUnfinished(j)) {
    return null;
  }
  if (!rollback && request !== null && j.plan.request !== undefined && j.plan.request !== request) {
    return err(
      'ops.unfinished-other',
      `an interrupted "${j.plan.request}" on ${cluster} is not finished`,
      `Finish it first (run that command again) or undo it (the same command with --rollback); nothing was changed now.`,
    );
  }
  const r = await execute(ctx, runners, j.plan, rollback);
  return r.ok ? ok({ plan: j.plan, outcome: r.value }) : r;
}

/**
 * An unfinished journal of another operation on `cluster` (a failed join blocks a remove): refused,
 * because the new one would be planned on a half-changed cluster.
 */
export async function otherUnfinished(ctx: OpsContext, op: string, cluster: string): Promise<Result<never> | null> {
  const mine = opIdOf({ op, cluster });
  for (const j of (await ctx.journal.list?.()) ?? []) {
    if (j.plan?.cluster === cluster && j.opId !== mine && isUnfinished(j)) {
      return err(
        'ops.unfinished-other',
        `an interrupted "${j.plan.request ?? j.plan.op}" on ${cluster} is not finished (state ${j.state})`,
        `Finish it first (run "${j.plan.request ?? j.plan.op}" again) or undo it (the same command with --rollback); nothing was changed now.`,
      );
    }
  }
  return null;
}

/**
 * `--linkN` values: a network (CIDR) every machine picks its address from, or a plain address —
 * the first machine's own (as `pvecm create --link0 ADDR` or `pvecm add … --link0 ADDR`), the
 * others taking theirs from the same network.
 */
export function splitLinks(
  links: Partial<Record<LinkNumber, string>> | undefined,
  machines: readonly string[],
): { cidrs?: Partial<Record<LinkNumber, string>>; explicit: Map<string, Partial<Record<LinkNumber, string>>> } {
  const explicit = new Map<string, Partial<Record<LinkNumber, string>>>();
  if (!links) {
    return { explicit };
  }
  const cidrs: Partial<Record<LinkNumber, string>> = {};
  for (const [l, v] of Object.entries(links)) {
    if (!v) {
      continue;
    }
    const link = Number(l) as LinkNumber;
    cidrs[link] = v;
    if (!v.includes('/') && machines[0]) {
      explicit.set(machines[0], { ...(explicit.get(machines[0]) ?? {}), [link]: v });
    }
  }
  return { ...(Object.keys(cidrs).length ? { cidrs } : {}), explicit };
}

export function preflightFailed(report: PreflightReport): Result<OpResult> {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const e = err(
    'preflight.failed',
    `pre-flight failed: ${failed.map((c) => `${c.id.replace('preflight.', '')} (${c.subject}: ${c.measured})`).join('; ')}`,
    failed[0]?.hint ?? 'Fix the failed checks and run again.',
  );
  return { ok: false, error: { ...e.error, cause: JSON.stringify(report) } };
}

export interface ClusterState {
  readonly record: ClusterRecord;
  readonly spec: ClusterSpec;
  /** From the first member that answered; null when its `corosync-quorumtool -s` could not be read. */
  readonly status: QuorumtoolStatus | null;
  readonly readFrom: string;
}

/**
 * Read the cluster's corosync.conf and quorum status from a member: the first whose corosync answers
 * `corosync-quorumtool -s`, else the first whose file could be read (a node with corosync stopped
 * still has it). `skip` lists nodes not to ask first (the node being removed).
 */
export async function readClusterState(
  ctx: OpsContext,
  runners: Runners | null,
  name: string,
  opts: { skip?: readonly string[] } = {},
): Promise<Result<ClusterState>> {
  const record = await loadCluster(name, ctx.home);
  if (!record) {
    return err(
      'ops.unknown-cluster',
      `Quorate manages no cluster named ${name}`,
      'Create it with `quorate create`, or check the name (`quorate clusters`).',
    );
  }
  const confPath = record.provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
  let lastError = 'no member answered';
  let fallback: ClusterState | undefined;
  const skip = new Set(opts.skip ?? []);
  const order = [
    ...Object.entries(record.nodes).filter(([n]) => !skip.has(n)),
    ...Object.entries(record.nodes).filter(([n]) => skip.has(n)),
  ].map(([, m]) => m);
  for (const machine of order) {
    const r = runners ? await runners.get(machine) : await ctx.connect(machine);
    if (!r.ok) {
      lastError = r.error.message;
      continue;
    }
    try {
      // The file and the membership asked at once (two commands, one round trip).
      const [conf, q] = await Promise.all([
        r.value.run(sh`cat -- ${confPath}`, { timeoutMs: 10_000 }),
        r.value.run('corosync-quorumtool -s', { timeoutMs: 10_000 }),
      ]);
      if (!conf.ok || conf.value.exitCode !== 0) {
        lastError = conf.ok ? conf.value.stderr : conf.error.message;
        continue;
      }
      const spec = specFromConf(conf.value.stdout);
      if (!spec.ok) {
        return spec;
      }
      const parsed = q.ok ? parseQuorumtoolStatus(q.value.stdout) : null;
      const status = parsed?.ok ? parsed.value : null;
      const withMachines: ClusterSpec = {
        ...spec.value,
        nodes: spec.value.nodes.map((n) => ({ ...n, machine: record.nodes[n.name] ?? n.name })),
        ...(spec.value.qdevice
          ? { qdevice: { ...spec.value.qdevice, ...(record.qnetd ? { machine: record.qnetd.machine } : {}) } }
          : {}),
      };
      const state: ClusterState = { record, spec: withMachines, status, readFrom: machine };
      if (status) {
        return ok(state);
      }
      fallback ??= state;
    } finally {
      if (!runners) {
        await r.value.close();
      }
    }
  }
  if (fallback) {
    return ok(fallback);
  }
  return err(
    'ops.cluster-unreachable',
    `no node of ${name} could be read (${lastError})`,
    'Check that at least one node is up and reachable over SSH.',
  );
}

export const onlineNames = (s: ClusterState): string[] => {
  if (!s.status) {
    return [];
  }
  const byId = new Map(s.spec.nodes.map((n) => [n.nodeid, n.name]));
  return s.status.members.map((m) => byId.get(m.nodeid) ?? m.name);
};

/**
 * After a membership change: the registry follows the journaled plan. A node removed without its
 * clean-up step (it was unreachable) is remembered, so the next `remove` of it cleans it up.
 */
export async function finishMembership(ctx: OpsContext, r: Result<OpResult>, name: string): Promise<Result<OpResult>> {
  if (!r.ok || r.value.outcome?.journal.state !== 'done') {
    return r;
  }
  const plan = r.value.plan;
  await updateCluster(name, ctx.home, (record) => {
    if (!record) {
      return null;
    }
    const nodes = { ...plan.machines };
    const removed: Record<string, string> = { ...(record.removed ?? {}) };
    for (const [n, m] of Object.entries(record.nodes)) {
      if (!(n in nodes) && !plan.steps.some((s) => s.id === `clean@${m}`)) {
        removed[n] = m;
      }
    }
    for (const n of Object.keys(nodes)) {
      delete removed[n];
    }
    const { removed: _old, qnetd, ...rest } = record;
    // A plan that took the QDevice away (remove --qdevice remove) ends with no qnetd in the registry.
    const keepQnetd = qnetd && !plan.dropsQdevice;
    return {
      ...rest,
      ...(keepQnetd ? { qnetd } : {}),
      nodes,
      ...(Object.keys(removed).length ? { removed } : {}),
    };
  });
  return r;
}

/** What a plan was based on, checked again (cheaply) before the reviewed plan runs. */
export interface PlanBasis {
  readonly confPath: string;
  /** config_version per machine when the plan was made; null: it had no corosync.conf. */
  readonly versions: Readonly<Record<string, number | null>>;
  /** nodeids in the membership when the plan was made (read from `membersFrom`); null for create. */
  readonly members: readonly number[] | null;
  readonly membersFrom: readonly string[];
}

/** A plan as the user reviewed it: what runs, what it was based on, and how the registry follows. */
export interface Reviewed {
  /** With `request` set: the journal and a resumed run know it by that. */
  readonly plan: Plan;
  readonly preflight?: PreflightReport;
  readonly basis: PlanBasis;
  readonly finish: (ctx: OpsContext, r: Result<OpResult>) => Promise<Result<OpResult>>;
}

const versionOf = (conf: string): number | null => {
  const m = /^\s*config_version\s*:\s*(\d+)/m.exec(conf);
  return m ? Number(m[1]) : 0;
};

/** config_version of corosync.conf on each machine (null where there is none). */
export async function readVersions(
  runners: Runners,
  machines: readonly string[],
  confPath: string,
): Promise<Result<Record<string, number | null>>> {
  // Read on every machine at once; the first in order that failed is reported.
  const read = await Promise.all(
    machines.map(async (m): Promise<Result<number | null>> => {
      const r = await runners.get(m);
      if (!r.ok) {
        return err(r.error.code, `could not reach ${m}: ${r.error.message}`, r.error.hint, r.error.cause);
      }
      const c = await r.value.run(sh`cat -- ${confPath} 2>/dev/null || echo __quorate_no_conf__`, {
        timeoutMs: 10_000,
      });
      if (!c.ok) {
        return err(c.error.code, `could not read ${confPath} on ${m}: ${c.error.message}`, c.error.hint);
      }
      return ok(c.value.stdout.includes('__quorate_no_conf__') ? null : versionOf(c.value.stdout));
    }),
  );
  const out: Record<string, number | null> = {};
  for (const [i, m] of machines.entries()) {
    const r = read[i]!;
    if (!r.ok) {
      return r;
    }
    out[m] = r.value;
  }
  return ok(out);
}

/** Membership nodeids as `corosync-quorumtool -s` reports them on the first of `from` that answers. */
export async function readMembers(runners: Runners, from: readonly string[]): Promise<number[] | null> {
  for (const m of from) {
    const r = await runners.get(m);
    if (!r.ok) {
      continue;
    }
    const q = await r.value.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
    const parsed = q.ok ? parseQuorumtoolStatus(q.value.stdout) : null;
    if (parsed?.ok) {
      return parsed.value.members.map((x) => x.nodeid as number).sort((a, b) => a - b);
    }
  }
  return null;
}

export async function basisOf(
  runners: Runners,
  machines: readonly string[],
  confPath: string,
  membersFrom: readonly string[] | null,
): Promise<Result<PlanBasis>> {
  const [versions, members] = await Promise.all([
    readVersions(runners, machines, confPath),
    membersFrom ? readMembers(runners, membersFrom) : null,
  ]);
  if (!versions.ok) {
    return versions;
  }
  return ok({ confPath, versions: versions.value, members, membersFrom: membersFrom ?? [] });
}

const vText = (v: number | null): string => (v === null ? 'no corosync.conf' : `config_version ${v}`);

/**
 * The cheap re-check before a reviewed plan runs: every machine's corosync.conf still at the
 * config_version the plan was made from, and the same membership. Host keys are pinned by the
 * connect path itself (a changed key refuses the session). Nothing is written here.
 */
export async function checkBasis(runners: Runners, plan: Plan, basis: PlanBasis): Promise<Result<void>> {
  const [now, members] = await Promise.all([
    readVersions(runners, Object.keys(basis.versions), basis.confPath),
    basis.members ? readMembers(runners, basis.membersFrom) : null,
  ]);
  if (!now.ok) {
    return now;
  }
  for (const [m, was] of Object.entries(basis.versions)) {
    const is = now.value[m] ?? null;
    if (is !== was) {
      return err(
        'ops.plan-stale',
        `${m} changed since the plan was reviewed: its corosync.conf is at ${vText(is)}, the plan was made from ${vText(was)}`,
        `Nothing was written. Review a new plan for "${plan.request ?? plan.op} ${plan.cluster}" (the cluster changed underneath).`,
      );
    }
  }
  if (basis.members) {
    const same = members !== null && members.join(',') === basis.members.join(',');
    if (!same) {
      return err(
        'ops.plan-stale',
        `the membership of ${plan.cluster} changed since the plan was reviewed: nodeids ${basis.members.join(', ')} then, ${members ? members.join(', ') || 'none' : 'unreadable'} now`,
        `Nothing was written. Review a new plan for "${plan.request ?? plan.op} ${plan.cluster}".`,
      );
    }
  }
  return ok(undefined);
}

/** Execute a reviewed plan on open runners and let the registry follow. */
export async function runOn(ctx: OpsContext, runners: Runners, reviewed: Reviewed): Promise<Result<OpResult>> {
  if (reviewed.preflight && !reviewed.preflight.ok) {
    return preflightFailed(reviewed.preflight);
  }
  const r = await execute(ctx, runners, reviewed.plan, false);
  if (!r.ok) {
    return r;
  }
  return reviewed.finish(
    ctx,
    ok({ plan: reviewed.plan, outcome: r.value, ...(reviewed.preflight ? { preflight: reviewed.preflight } : {}) }),
  );
}

/**
 * Run the plan the user reviewed — not a new one: under the cluster's lock, refused while another
 * operation's journal on the cluster is unfinished, and only when the basis still holds. A journal of
 * this same request left unfinished is resumed instead (its steps changed the versions on purpose).
 */
export async function runReviewed(ctx: OpsContext, reviewed: Reviewed): Promise<Result<OpResult>> {
  const { plan } = reviewed;
  return withLock(ctx.home, plan.cluster, `${plan.request ?? plan.op} (${plan.cluster})`, () =>
    withRunners(ctx, async (runners) => {
      const resumed = await resumeIfUnfinished(ctx, runners, plan.op, plan.cluster, false, plan.request ?? plan.op);
      if (resumed) {
        return reviewed.finish(ctx, resumed);
      }
      const basis = await checkBasis(runners, plan, reviewed.basis);
      if (!basis.ok) {
        return basis;
      }
      return runOn(ctx, runners, reviewed);
    }),
  );
}
