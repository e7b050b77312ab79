/**
 * The shared runner of every operation: the context, the machines' runners (opened once per
 * operation, closed together), reading the cluster as it is, executing a plan through the journal,
 * and the registry updates a membership change ends with. One file per operation sits beside it (op-*.ts).
 */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import type { PreflightReport } from '../preflight/types';
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../corosync';
import type { CommandRunner } from '../ssh/runner';
import { executePlan, type ExecuteOutcome, type StepEvent } from './executor';
import { isUnfinished, opIdOf, type JournalStore } from './journal';
import type { Plan } from './plan';
import type { AgentOptions } from './preflight-gather.ssh';
import { loadCluster, saveCluster, type ClusterRecord } from './registry.fs';
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
}

const TRANSIENT = new Set(['ssh.timeout', 'ssh.unreachable', 'ssh.refused']);

/** Runners opened for one operation, closed together. */
export class Runners {
  readonly #map = new Map<string, CommandRunner>();
  constructor(private readonly ctx: OpsContext) {}
  async get(machine: string): Promise<Result<CommandRunner>> {
    const have = this.#map.get(machine);
    if (have) {
      return ok(have);
    }
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
  const out = new Map<string, CommandRunner>();
  for (const m of machines) {
    const r = await runners.get(m);
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
  for (const m of machines) {
    const r = await runners.get(m);
    if (!r.ok) {
      return err(
        r.error.code,
        `could not reach ${m} to run "${plan.op} ${plan.cluster}": ${r.error.message}`,
        `${r.error.hint} Nothing more was changed; run the same command again to continue.`,
        r.error.cause,
      );
    }
  }
  return executePlan(plan, {
    runnerFor: (m) => runners.peek(m),
    journal: ctx.journal,
    ...(ctx.onEvent ? { onEvent: ctx.onEvent } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    unfinished: rollback ? 'rollback' : 'resume',
  });
}

/** An unfinished run of the same op: resumed (or rolled back) before anything new is planned or checked. */
export async function resumeIfUnfinished(
  ctx: OpsContext,
  runners: Runners,
  op: string,
  cluster: string,
  rollback: boolean,
  request: string,
): Promise<Result<OpResult> | null> {
  const j = await ctx.journal.load(opIdOf({ op, cluster }));
  if (!isUnfinished(j)) {
    return null;
  }
  if (!rollback && j.plan.request !== undefined && j.plan.request !== request) {
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

/** Read the cluster's corosync.conf and quorum status from the first member that answers. */
export async function readClusterState(
  ctx: OpsContext,
  runners: Runners | null,
  name: string,
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
  for (const machine of Object.values(record.nodes)) {
    const r = runners ? await runners.get(machine) : await ctx.connect(machine);
    if (!r.ok) {
      lastError = r.error.message;
      continue;
    }
    try {
      const conf = await r.value.run(`cat ${confPath}`, { timeoutMs: 10_000 });
      if (!conf.ok || conf.value.exitCode !== 0) {
        lastError = conf.ok ? conf.value.stderr : conf.error.message;
        continue;
      }
      const spec = specFromConf(conf.value.stdout);
      if (!spec.ok) {
        return spec;
      }
      const q = await r.value.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
      const parsed = q.ok ? parseQuorumtoolStatus(q.value.stdout) : null;
      const status = parsed?.ok ? parsed.value : null;
      const withMachines: ClusterSpec = {
        ...spec.value,
        nodes: spec.value.nodes.map((n) => ({ ...n, machine: record.nodes[n.name] ?? n.name })),
        ...(spec.value.qdevice
          ? { qdevice: { ...spec.value.qdevice, ...(record.qnetd ? { machine: record.qnetd.machine } : {}) } }
          : {}),
      };
      return ok({ record, spec: withMachines, status, readFrom: machine });
    } finally {
      if (!runners) {
        await r.value.close();
      }
    }
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
  const record = await loadCluster(name, ctx.home);
  if (!record) {
    return r;
  }
  const nodes = { ...r.value.plan.machines };
  const removed: Record<string, string> = { ...(record.removed ?? {}) };
  for (const [n, m] of Object.entries(record.nodes)) {
    if (!(n in nodes) && !r.value.plan.steps.some((s) => s.id === `clean@${m}`)) {
      removed[n] = m;
    }
  }
  for (const n of Object.keys(nodes)) {
    delete removed[n];
  }
  const { removed: _old, ...rest } = record;
  await saveCluster({ ...rest, nodes, ...(Object.keys(removed).length ? { removed } : {}) }, ctx.home);
  return r;
}
