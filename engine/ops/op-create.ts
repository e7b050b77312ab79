/** create: the first machine founds the cluster, the others join it; verified quorate on every node. */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { runPreflight } from '../preflight/checks';
import type { PreflightInput } from '../preflight/types';
import { planCreate, type NewNode, type ProviderName } from './plans';
import { gatherPreflightInput } from './preflight-gather.ssh';
import { loadCluster, updateCluster } from './registry.fs';
import {
  agentOptions,
  basisOf,
  connectAll,
  planOrRun,
  splitLinks,
  type OpResult,
  type OpsContext,
  type Reviewed,
  type Runners,
} from './run';

export interface CreateRequest {
  readonly name: string;
  /** Machines; the first founds the cluster. */
  readonly machines: readonly string[];
  /** Per link: a CIDR (the address on that network is used) or an address (only with one machine). */
  readonly links?: Partial<Record<LinkNumber, string>>;
  /**
   * The pre-flight input already measured for these machines and links in this wizard pass: the
   * plan is made from it instead of measuring again.
   */
  readonly preflightInput?: PreflightInput;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
  /** Only continue (or roll back) an unfinished run; plan nothing new. */
  readonly resumeOnly?: boolean;
}

const requestOf = (req: CreateRequest): string => `create ${req.machines.join(' ')}`;

export async function createCluster(ctx: OpsContext, req: CreateRequest): Promise<Result<OpResult>> {
  return planOrRun(
    ctx,
    req.name,
    requestOf(req),
    { op: 'create', ...req },
    (runners) => planCreateOn(ctx, runners, req),
    finishCreate,
  );
}

async function planCreateOn(ctx: OpsContext, runners: Runners, req: CreateRequest): Promise<Result<Reviewed>> {
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
  let input = req.preflightInput;
  if (!input || input.machines.map((m) => m.machine).join(' ') !== req.machines.join(' ')) {
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
    input = g.value.input;
  }
  const report = runPreflight(input);
  const provider: ProviderName = input.machines.every((f) => f.pveVersion !== null) ? 'pve' : 'corosync';
  const nodes: NewNode[] = input.machines.map((f) => ({
    machine: f.machine,
    hostname: f.hostname,
    addresses: input.linkAddresses[f.machine] ?? {},
  }));
  const plan = planCreate({ name: req.name, nodes, provider });
  if (!plan.ok) {
    return plan;
  }
  const confPath = provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
  const basis = await basisOf(runners, req.machines, confPath, null);
  if (!basis.ok) {
    return basis;
  }
  return ok({
    plan: { ...plan.value, request: requestOf(req) },
    preflight: report,
    basis: basis.value,
    finish: finishCreate,
  });
}

async function finishCreate(ctx: OpsContext, r: Result<OpResult>): Promise<Result<OpResult>> {
  if (!r.ok || r.value.outcome?.journal.state !== 'done') {
    return r;
  }
  const plan = r.value.plan;
  await updateCluster(plan.cluster, ctx.home, () => ({
    name: plan.cluster,
    provider: plan.provider,
    nodes: { ...plan.machines },
  }));
  return r;
}
