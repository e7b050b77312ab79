/** join: new machines into a running cluster (around its QDevice when there is one). */
import { ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { runPreflight } from '../preflight/checks';
import type { ExistingCluster } from '../preflight/types';
import { planJoin, type NewNode } from './plans';
import { gatherPreflightInput } from './preflight-gather.ssh';
import { specLinks } from './spec';
import {
  agentOptions,
  basisOf,
  connectAll,
  finishMembership,
  onlineNames,
  planOrRun,
  readClusterState,
  splitLinks,
  type OpResult,
  type OpsContext,
  type Reviewed,
  type Runners,
} from './run';

export interface JoinRequest {
  readonly name: string;
  readonly machines: readonly string[];
  readonly links?: Partial<Record<LinkNumber, string>>;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
  /** Only continue (or roll back) an unfinished run; plan nothing new. */
  readonly resumeOnly?: boolean;
}

const requestOf = (req: JoinRequest): string => `join ${req.machines.join(' ')}`;

export async function joinCluster(ctx: OpsContext, req: JoinRequest): Promise<Result<OpResult>> {
  const finish: Reviewed['finish'] = (c, r) => finishMembership(c, r, req.name);
  return planOrRun(
    ctx,
    req.name,
    requestOf(req),
    { op: 'join', ...req },
    (runners) => planJoinOn(ctx, runners, req, finish),
    finish,
  );
}

async function planJoinOn(
  ctx: OpsContext,
  runners: Runners,
  req: JoinRequest,
  finish: Reviewed['finish'],
): Promise<Result<Reviewed>> {
  {
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const online = onlineNames(state.value);
    const members = state.value.spec.nodes
      .filter((n) => online.includes(n.name) && n.machine)
      .map((n) => ({ machine: n.machine! }));
    // The joiners and the online members at once (a member that cannot be reached is left out below).
    const [conn] = await Promise.all([
      connectAll(runners, req.machines),
      ...members.map((m) => runners.get(m.machine)),
    ]);
    if (!conn.ok) {
      return conn;
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
      joinersWithConfig: g.value.input.machines.filter((f) => f.hasCorosyncConf).map((f) => f.hostname),
      provider: state.value.record.provider,
      ...(state.value.record.qnetd ? { qnetdMachine: state.value.record.qnetd.machine } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    const confPath = state.value.record.provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
    const memberMachines = members.map((m) => m.machine);
    const basis = await basisOf(runners, [...memberMachines, ...req.machines], confPath, memberMachines);
    if (!basis.ok) {
      return basis;
    }
    return ok({ plan: { ...plan.value, request: requestOf(req) }, preflight: report, basis: basis.value, finish });
  }
}
