/** remove: a node that is not a member any more, planned and run on the nodes that remain. */
import { err, ok, type Result } from '../result';
import { cleanRemovedStep } from '../providers/corosync';
import type { Plan } from './plan';
import { planRemove } from './plans';
import { saveCluster, type ClusterRecord } from './registry.fs';
import {
  execute,
  finishMembership,
  onlineNames,
  readClusterState,
  resumeIfUnfinished,
  withRunners,
  type OpResult,
  type OpsContext,
  type Runners,
} from './run';
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
