/**
 * The operations end to end: connect, check (pre-flight, preconditions), plan, execute (journaled),
 * verify, remember. The CLI and the app call these; every expected failure is a `Result`.
 */
import { err, ok, type Result } from '../result';
import { sh } from '../shell';
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';
import { runPreflight } from '../preflight/checks';
import type { ExistingCluster, PreflightReport } from '../preflight/types';
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../corosync';
import { qdeviceFlags } from '../providers/qdevice-flags';
import type { CommandRunner } from '../ssh/runner';
import { executePlan, type ExecuteOutcome, type StepEvent } from './executor';
import { isUnfinished, opIdOf, type JournalStore } from './journal';
import type { Plan } from './plan';
import {
  planCreate,
  planExpected,
  planJoin,
  planLink,
  planQdeviceRemove,
  planQdeviceSetup,
  planRemove,
  type NewNode,
  type ProviderName,
} from './plans';
import { addressInCidr, ensureAgent, gatherPreflightInput, readFacts, type AgentOptions } from './preflight-gather.ssh';
import { loadCluster, saveCluster, type ClusterRecord } from './registry.fs';
import { specFromConf, specLinks, type ClusterSpec } from './spec';
import { cleanRemovedStep } from '../providers/corosync';

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
class Runners {
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

async function withRunners<T>(ctx: OpsContext, fn: (r: Runners) => Promise<T>): Promise<T> {
  const runners = new Runners(ctx);
  try {
    return await fn(runners);
  } finally {
    await runners.closeAll();
  }
}

async function connectAll(runners: Runners, machines: readonly string[]): Promise<Result<Map<string, CommandRunner>>> {
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
function agentOptions(ctx: OpsContext): AgentOptions {
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

/** `quorate preflight ADDR… [--link0 CIDR]`: the report for a would-be cluster of these machines. */
export async function preflightMachines(
  ctx: OpsContext,
  machines: readonly string[],
  linkCidrs?: Partial<Record<LinkNumber, string>>,
): Promise<Result<PreflightReport>> {
  return withRunners(ctx, async (runners) => {
    const conn = await connectAll(runners, machines);
    if (!conn.ok) {
      return conn;
    }
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: machines.map((m) => ({ machine: m, runner: conn.value.get(m)! })),
      ...(linkCidrs ? { linkCidrs } : {}),
      ...agentOptions(ctx),
    });
    if (!g.ok) {
      return g;
    }
    return ok(runPreflight(g.value.input));
  });
}

async function execute(
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
async function resumeIfUnfinished(
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

export interface CreateRequest {
  readonly name: string;
  /** Machines; the first founds the cluster. */
  readonly machines: readonly string[];
  /** Per link: a CIDR (the address on that network is used) or an address (only with one machine). */
  readonly links?: Partial<Record<LinkNumber, string>>;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

export async function createCluster(ctx: OpsContext, req: CreateRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'create',
        req.name,
        req.rollback ?? false,
        `create ${req.machines.join(' ')}`,
      );
      if (resumed) {
        return finishCreate(ctx, resumed, req);
      }
    }
    if (await loadCluster(req.name, ctx.home)) {
      return err(
        'ops.cluster-exists',
        `Quorate already manages a cluster named ${req.name}`,
        'Pick another name, or use join to add machines to it.',
      );
    }
    const conn = await connectAll(runners, req.machines);
    if (!conn.ok) {
      return conn;
    }
    const { cidrs, explicit } = splitLinks(req.links, req.machines);
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: req.machines.map((m) => ({
        machine: m,
        runner: conn.value.get(m)!,
        ...(explicit.has(m) ? { linkAddresses: explicit.get(m)! } : {}),
      })),
      ...(cidrs ? { linkCidrs: cidrs } : {}),
      ...agentOptions(ctx),
    });
    if (!g.ok) {
      return g;
    }
    const report = runPreflight(g.value.input);
    const provider: ProviderName = g.value.input.machines.every((f) => f.pveVersion !== null) ? 'pve' : 'corosync';
    const nodes: NewNode[] = g.value.input.machines.map((f) => ({
      machine: f.machine,
      hostname: f.hostname,
      addresses: g.value.input.linkAddresses[f.machine] ?? {},
    }));
    const plan = planCreate({ name: req.name, nodes, provider });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value, preflight: report });
    }
    if (!report.ok) {
      return preflightFailed(report);
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `create ${req.machines.join(' ')}` }, false);
    if (!r.ok) {
      return r;
    }
    return finishCreate(ctx, { ok: true, value: { plan: plan.value, outcome: r.value, preflight: report } }, req);
  });
}

async function finishCreate(ctx: OpsContext, r: Result<OpResult>, _req: CreateRequest): Promise<Result<OpResult>> {
  if (!r.ok || r.value.outcome?.journal.state !== 'done') {
    return r;
  }
  const plan = r.value.plan;
  await saveCluster({ name: plan.cluster, provider: plan.provider, nodes: { ...plan.machines } }, ctx.home);
  return r;
}

/**
 * `--linkN` values: a network (CIDR) every machine picks its address from, or a plain address —
 * the first machine's own (as `pvecm create --link0 ADDR` or `pvecm add … --link0 ADDR`), the
 * others taking theirs from the same network.
 */
function splitLinks(
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

function preflightFailed(report: PreflightReport): Result<OpResult> {
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
      const conf = await r.value.run(sh`cat -- ${confPath}`, { timeoutMs: 10_000 });
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

const onlineNames = (s: ClusterState): string[] => {
  if (!s.status) {
    return [];
  }
  const byId = new Map(s.spec.nodes.map((n) => [n.nodeid, n.name]));
  return s.status.members.map((m) => byId.get(m.nodeid) ?? m.name);
};

export interface JoinRequest {
  readonly name: string;
  readonly machines: readonly string[];
  readonly links?: Partial<Record<LinkNumber, string>>;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

export async function joinCluster(ctx: OpsContext, req: JoinRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'join',
        req.name,
        req.rollback ?? false,
        `join ${req.machines.join(' ')}`,
      );
      if (resumed) {
        return finishMembership(ctx, resumed, req.name);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const conn = await connectAll(runners, req.machines);
    if (!conn.ok) {
      return conn;
    }
    const online = onlineNames(state.value);
    const members = state.value.spec.nodes
      .filter((n) => online.includes(n.name) && n.machine)
      .map((n) => ({ machine: n.machine!, runner: runners.peek(n.machine!) }));
    for (const m of members) {
      if (!m.runner) {
        await runners.get(m.machine);
      }
    }
    const cluster: ExistingCluster = {
      name: req.name,
      quorate: state.value.status?.quorate ?? false,
      nodes: state.value.spec.nodes.map((n) => ({ name: n.name, addresses: n.addresses })),
      links: specLinks(state.value.spec),
      hasQdevice: state.value.spec.qdevice !== undefined,
    };
    const { cidrs, explicit } = splitLinks(req.links, req.machines);
    const g = await gatherPreflightInput({
      mode: 'join',
      cluster,
      machines: req.machines.map((m) => ({
        machine: m,
        runner: conn.value.get(m)!,
        ...(explicit.has(m) ? { linkAddresses: explicit.get(m)! } : {}),
      })),
      members: members.flatMap((m) => {
        const r = runners.peek(m.machine);
        return r
          ? [
              {
                machine: m.machine,
                runner: r,
                linkAddresses: state.value.spec.nodes.find((n) => n.machine === m.machine)!.addresses,
              },
            ]
          : [];
      }),
      ...(cidrs ? { linkCidrs: cidrs } : {}),
      ...agentOptions(ctx),
    });
    if (!g.ok) {
      return g;
    }
    const report = runPreflight(g.value.input);
    const nodes: NewNode[] = g.value.input.machines.map((f) => ({
      machine: f.machine,
      hostname: f.hostname,
      addresses: g.value.input.linkAddresses[f.machine] ?? {},
    }));
    const plan = planJoin({
      before: state.value.spec,
      nodes,
      provider: state.value.record.provider,
      ...(state.value.record.qnetd ? { qnetdMachine: state.value.record.qnetd.machine } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value, preflight: report });
    }
    if (!report.ok) {
      return preflightFailed(report);
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `join ${req.machines.join(' ')}` }, false);
    if (!r.ok) {
      return r;
    }
    return finishMembership(ctx, ok({ plan: plan.value, outcome: r.value, preflight: report }), req.name);
  });
}

/**
 * After a membership change: the registry follows the journaled plan. A node removed without its
 * clean-up step (it was unreachable) is remembered, so the next `remove` of it cleans it up.
 */
async function finishMembership(ctx: OpsContext, r: Result<OpResult>, name: string): Promise<Result<OpResult>> {
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

/** `remove` of a node already removed while unreachable: move its old cluster files aside now. */
async function cleanUpRemoved(
  ctx: OpsContext,
  runners: Runners,
  record: ClusterRecord,
  node: string,
  machine: string,
): Promise<Result<OpResult>> {
  const r = await runners.get(machine);
  if (!r.ok) {
    return err(
      'ops.still-unreachable',
      `${node} (${machine}) was removed from ${record.name} but is still unreachable; its old cluster files could not be cleaned`,
      'When it is reachable again, run the same remove command to clean it up. Do not start corosync on it meanwhile.',
    );
  }
  const plan: Plan = {
    op: 'remove-cleanup',
    cluster: record.name,
    provider: record.provider,
    steps: [cleanRemovedStep(record.name, machine)],
    files: {},
    before: null,
    after: { nodes: 0, expectedVotes: 0, totalVotes: 0, quorum: 0, canLose: 0 },
    warnings: [],
    machines: { ...record.nodes },
  };
  const x = await execute(ctx, runners, plan, false);
  if (!x.ok) {
    return x;
  }
  const removed = { ...(record.removed ?? {}) };
  delete removed[node];
  const { removed: _old, ...rest } = record;
  await saveCluster({ ...rest, ...(Object.keys(removed).length ? { removed } : {}) }, ctx.home);
  return ok({ plan, outcome: x.value });
}

export interface RemoveRequest {
  readonly name: string;
  readonly node: string;
  /** Forced removal: the typed cluster name. */
  readonly forceConfirm?: string;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

export async function removeNode(ctx: OpsContext, req: RemoveRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'remove',
        req.name,
        req.rollback ?? false,
        `remove ${req.node}`,
      );
      if (resumed) {
        return finishMembership(ctx, resumed, req.name);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const pending = state.value.record.removed?.[req.node];
    if (pending && !state.value.spec.nodes.some((n) => n.name === req.node)) {
      return cleanUpRemoved(ctx, runners, state.value.record, req.node, pending);
    }
    if (!state.value.status) {
      return err(
        'ops.no-status',
        `could not read the quorum status of ${req.name} from ${state.value.readFrom}`,
        'Check that corosync runs on that node.',
      );
    }
    const machine = state.value.record.nodes[req.node];
    // "Reachable" here means: we can log in to clean it up afterwards (its corosync must be stopped).
    const reachable = machine ? (await runners.get(machine)).ok : false;
    const online = onlineNames(state.value);
    const plan = planRemove({
      before: state.value.spec,
      name: req.node,
      onlineMembers: online,
      removedReachable: reachable,
      provider: state.value.record.provider,
      ...(req.forceConfirm ? { force: { confirm: req.forceConfirm } } : {}),
      ...(state.value.record.qnetd ? { qnetdMachine: state.value.record.qnetd.machine } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `remove ${req.node}` }, false);
    if (!r.ok) {
      return r;
    }
    return finishMembership(ctx, ok({ plan: plan.value, outcome: r.value }), req.name);
  });
}

export interface QdeviceSetupRequest {
  readonly name: string;
  readonly host: string;
  readonly algorithm?: QdeviceAlgorithm;
  readonly consent?: boolean;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

export async function setupQdevice(ctx: OpsContext, req: QdeviceSetupRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'qdevice-setup',
        req.name,
        req.rollback ?? false,
        `qdevice setup ${req.host}`,
      );
      if (resumed) {
        return finishQdevice(ctx, resumed, req.name, req.host);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const online = onlineNames(state.value);
    // Check before changing anything (pvecm does not, and fails half-way).
    const offline = state.value.spec.nodes.filter((n) => !online.includes(n.name)).map((n) => n.name);
    if (offline.length) {
      return err(
        'ops.qdevice-nodes-offline',
        `node(s) ${offline.join(', ')} of ${req.name} are not online`,
        'Every node must be up to receive the QDevice certificates; start them and retry.',
      );
    }
    const q = await runners.get(req.host);
    if (!q.ok) {
      return err(q.error.code, `could not reach the qnetd host ${req.host}: ${q.error.message}`, q.error.hint);
    }
    const missing: string[] = [];
    const hasQnetd = await q.value.run(
      'command -v corosync-qnetd >/dev/null && command -v corosync-qnetd-certutil >/dev/null',
      { timeoutMs: 10_000 },
    );
    if (!hasQnetd.ok || hasQnetd.value.exitCode !== 0) {
      missing.push(`${req.host}: corosync-qnetd (apt install corosync-qnetd)`);
    }
    for (const n of state.value.spec.nodes) {
      const r = await runners.get(n.machine!);
      const has = r.ok
        ? await r.value.run(
            'command -v corosync-qdevice >/dev/null && command -v corosync-qdevice-net-certutil >/dev/null',
            { timeoutMs: 10_000 },
          )
        : null;
      if (!has || !has.ok || has.value.exitCode !== 0) {
        missing.push(`${n.name}: corosync-qdevice (apt install corosync-qdevice)`);
      }
    }
    if (missing.length) {
      return err(
        'ops.qdevice-missing-packages',
        `missing packages: ${missing.join('; ')}`,
        'Install them first; nothing was changed.',
      );
    }
    const plan = planQdeviceSetup({
      before: state.value.spec,
      host: req.host,
      qnetdMachine: req.host,
      provider: state.value.record.provider,
      ...(req.algorithm ? { algorithm: req.algorithm } : {}),
      ...(req.consent ? { consent: true } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `qdevice setup ${req.host}` }, false);
    if (!r.ok) {
      return r;
    }
    return finishQdevice(ctx, ok({ plan: plan.value, outcome: r.value }), req.name, req.host);
  });
}

async function finishQdevice(
  ctx: OpsContext,
  r: Result<OpResult>,
  name: string,
  host: string | null,
): Promise<Result<OpResult>> {
  if (!r.ok || r.value.outcome?.journal.state !== 'done') {
    return r;
  }
  const record = await loadCluster(name, ctx.home);
  if (!record) {
    return r;
  }
  const { qnetd: _q, ...rest } = record;
  await saveCluster(host ? { ...rest, qnetd: { machine: host, host } } : rest, ctx.home);
  return r;
}

export async function removeQdevice(
  ctx: OpsContext,
  req: { name: string; planOnly?: boolean; rollback?: boolean },
): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'qdevice-remove',
        req.name,
        req.rollback ?? false,
        'qdevice remove',
      );
      if (resumed) {
        return finishQdevice(ctx, resumed, req.name, null);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const plan = planQdeviceRemove({ before: state.value.spec, provider: state.value.record.provider });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: 'qdevice remove' }, false);
    if (!r.ok) {
      return r;
    }
    return finishQdevice(ctx, ok({ plan: plan.value, outcome: r.value }), req.name, null);
  });
}

export interface LinkRequest {
  readonly name: string;
  readonly link: LinkNumber;
  /** The network of the link (each node uses its address inside it), or explicit addresses by node name. */
  readonly cidr?: string;
  readonly addresses?: Readonly<Record<string, string>>;
  readonly priority?: number;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

/** link: add or change link N on every node (every node must be online: each gets the new file). */
export async function changeLink(ctx: OpsContext, req: LinkRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'link',
        req.name,
        req.rollback ?? false,
        `link${req.link}`,
      );
      if (resumed) {
        return resumed;
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const online = onlineNames(state.value);
    const offline = state.value.spec.nodes.filter((n) => !online.includes(n.name)).map((n) => n.name);
    if (offline.length) {
      return err(
        'ops.link-nodes-offline',
        `node(s) ${offline.join(', ')} of ${req.name} are not online`,
        'Every node must receive the new link; start them and retry.',
      );
    }
    const addresses: Record<string, string> = { ...(req.addresses ?? {}) };
    if (req.cidr) {
      for (const n of state.value.spec.nodes) {
        if (addresses[n.name]) {
          continue;
        }
        const r = await runners.get(n.machine!);
        if (!r.ok) {
          return r;
        }
        const agent = await ensureAgent(n.machine!, r.value, agentOptions(ctx));
        if (!agent.ok) {
          return agent;
        }
        const f = await readFacts(n.machine!, agent.value);
        agent.value.close();
        if (!f.ok) {
          return f;
        }
        const a = addressInCidr(f.value, req.cidr);
        if (!a) {
          return err(
            'ops.link-no-address',
            `${n.name} has no address in ${req.cidr}`,
            `Configure an address in ${req.cidr} on ${n.name} first.`,
          );
        }
        addresses[n.name] = a;
      }
    }
    const plan = planLink({
      before: state.value.spec,
      link: req.link,
      addresses,
      provider: state.value.record.provider,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `link${req.link}` }, false);
    return r.ok ? ok({ plan: plan.value, outcome: r.value }) : r;
  });
}

export async function setExpected(
  ctx: OpsContext,
  req: { name: string; votes: number; confirm: string },
): Promise<Result<OpResult & { status: { quorate: boolean; expectedVotes: number } | null }>> {
  return withRunners(ctx, async (runners) => {
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const plan = planExpected({
      before: state.value.spec,
      votes: req.votes,
      confirm: req.confirm,
      machine: state.value.readFrom,
      provider: state.value.record.provider,
    });
    if (!plan.ok) {
      return plan;
    }
    // Runtime-only: no journal to resume, but the same executor (and its failure reporting).
    const r = await execute(ctx, runners, plan.value, false);
    if (!r.ok) {
      return r;
    }
    const after = await readClusterState(ctx, runners, req.name);
    const vq = after.ok ? after.value.status?.votequorum : undefined;
    const status =
      after.ok && after.value.status && vq
        ? { quorate: after.value.status.quorate, expectedVotes: vq.expectedVotes }
        : null;
    if (status && status.expectedVotes !== req.votes) {
      return err(
        'ops.verify-failed',
        `expected votes on ${state.value.readFrom} are ${status.expectedVotes}, not ${req.votes}`,
        'corosync refused the value (it never goes below the votes present); check `corosync-quorumtool -s`.',
      );
    }
    return ok({ plan: plan.value, outcome: r.value, status });
  });
}

export interface StatusView {
  readonly name: string;
  readonly quorate: boolean;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly nodes: { name: string; nodeid: number; votes: number; online: boolean }[];
  readonly qdevice: null | { host: string; flags: string[] };
  readonly readFrom: string;
}

/** pvecm-status-like view: every configured node with online state, and the QDevice flags of the node read. */
export function statusView(state: ClusterState): StatusView {
  const s = state.status;
  const members = new Map<number, { votes: number }>((s?.members ?? []).map((m) => [m.nodeid, m]));
  const local = s?.members.find((m) => m.local) ?? s?.members[0];
  return {
    name: state.spec.name,
    quorate: s?.quorate ?? false,
    expectedVotes: s?.votequorum?.expectedVotes ?? 0,
    totalVotes: s?.votequorum?.totalVotes ?? 0,
    quorum: s?.votequorum?.quorum ?? 0,
    nodes: state.spec.nodes.map((n) => ({
      name: n.name,
      nodeid: n.nodeid,
      votes: members.get(n.nodeid)?.votes ?? n.votes ?? 1,
      online: members.has(n.nodeid),
    })),
    qdevice: state.spec.qdevice ? { host: state.spec.qdevice.host, flags: qdeviceFlags(local?.qdevice) } : null,
    readFrom: state.readFrom,
  };
}

export async function clusterStatus(ctx: OpsContext, name: string): Promise<Result<StatusView>> {
  return withRunners(ctx, async (runners) => {
    const state = await readClusterState(ctx, runners, name);
    if (!state.ok) {
      return state;
    }
    if (!state.value.status) {
      return err(
        'ops.no-status',
        `corosync on ${state.value.readFrom} did not answer corosync-quorumtool`,
        'Check that corosync runs there.',
      );
    }
    return ok(statusView(state.value));
  });
}
