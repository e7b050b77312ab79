/** create: the first machine founds the cluster, the others join it; verified quorate on every node. */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { runPreflight } from '../preflight/checks';
import { planCreate, type NewNode, type ProviderName } from './plans';
import { gatherPreflightInput } from './preflight-gather.ssh';
import { loadCluster, saveCluster } from './registry.fs';
import {
  agentOptions,
  connectAll,
  execute,
  preflightFailed,
  resumeIfUnfinished,
  splitLinks,
  withRunners,
  type OpResult,
  type OpsContext,
} from './run';
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
