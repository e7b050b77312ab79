/**
 * remove: a node that is not a member any more (powered off, cut, or corosync stopped), planned and
 * run on the nodes that remain; with a QDevice, the user chooses what becomes of it when the result
 * is odd. A node removed while unreachable is cleaned by the next `remove` of it.
 */
import { err, ok, type Result } from '../result';
import { cleanRemovedStep } from '../providers/corosync';
import type { Plan } from './plan';
import { planRemove, type RemoveQdeviceChoice } from './plans';
import { updateCluster, type ClusterRecord } from './registry.fs';
import {
  basisOf,
  finishMembership,
  onlineNames,
  planOrRun,
  readClusterState,
  type OpResult,
  type OpsContext,
  type Reviewed,
  type Runners,
} from './run';

export interface RemoveRequest {
  readonly name: string;
  readonly node: string;
  /** Forced removal: the typed cluster name. */
  readonly forceConfirm?: string;
  /** With a QDevice and an odd result: keep it (switched to lms) or remove it too. */
  readonly qdevice?: RemoveQdeviceChoice;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
  /** Only continue (or roll back) an unfinished run; plan nothing new. */
  readonly resumeOnly?: boolean;
}

const requestOf = (req: RemoveRequest): string => `remove ${req.node}`;

export async function removeNode(ctx: OpsContext, req: RemoveRequest): Promise<Result<OpResult>> {
  const finish: Reviewed['finish'] = (c, r) => finishMembership(c, r, req.name);
  return planOrRun(
    ctx,
    req.name,
    requestOf(req),
    { op: 'remove', ...req },
    (runners) => planRemoveOn(ctx, runners, req, finish),
    finish,
  );
}

async function planRemoveOn(
  ctx: OpsContext,
  runners: Runners,
  req: RemoveRequest,
  finish: Reviewed['finish'],
): Promise<Result<Reviewed>> {
  const state = await readClusterState(ctx, runners, req.name, { skip: [req.node] });
  if (!state.ok) {
    return state;
  }
  const confPath = state.value.record.provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
  const pending = state.value.record.removed?.[req.node];
  if (pending && !state.value.spec.nodes.some((n) => n.name === req.node)) {
    return planCleanUp(runners, state.value.record, req.node, pending, confPath);
  }
  if (!state.value.status) {
    return err(
      'ops.no-status',
      `could not read the quorum status of ${req.name} from ${state.value.readFrom}`,
      'Check that corosync runs on at least one of the other nodes.',
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
    ...(req.qdevice ? { qdevice: req.qdevice } : {}),
    ...(state.value.record.qnetd ? { qnetdMachine: state.value.record.qnetd.machine } : {}),
  });
  if (!plan.ok) {
    return plan;
  }
  const acting = state.value.spec.nodes
    .filter((n) => online.includes(n.name) && n.name !== req.node)
    .map((n) => n.machine ?? n.name);
  const basis = await basisOf(runners, acting, confPath, acting);
  if (!basis.ok) {
    return basis;
  }
  return ok({ plan: { ...plan.value, request: requestOf(req) }, basis: basis.value, finish });
}

/** `remove` of a node already removed while unreachable: a plan that moves its old cluster files aside. */
async function planCleanUp(
  runners: Runners,
  record: ClusterRecord,
  node: string,
  machine: string,
  confPath: string,
): Promise<Result<Reviewed>> {
  const r = await runners.get(machine);
  if (!r.ok) {
    return err(
      'ops.still-unreachable',
      `${node} (${machine}) was removed from ${record.name} but is still unreachable; its old cluster files could not be cleaned`,
      'When it is reachable again, run the same remove command to clean it up. Do not start corosync on it meanwhile.',
    );
  }
  const plan: Plan = {
    op: 'remove',
    cluster: record.name,
    provider: record.provider,
    steps: [cleanRemovedStep(record.name, machine)],
    files: { [machine]: ['/etc/corosync/corosync.conf', '/etc/corosync/authkey'] },
    before: null,
    after: { nodes: Object.keys(record.nodes).length, expectedVotes: 0, totalVotes: 0, quorum: 0, canLose: 0 },
    warnings: [],
    machines: { ...record.nodes },
    request: `remove ${node}`,
  };
  return ok({
    plan,
    basis: { confPath, versions: {}, members: null, membersFrom: [] },
    finish: async (ctx, res) => {
      if (res.ok && res.value.outcome?.journal.state === 'done') {
        await updateCluster(record.name, ctx.home, (cur) => {
          if (!cur) {
            return null;
          }
          const removed = { ...(cur.removed ?? {}) };
          delete removed[node];
          const { removed: _old, ...rest } = cur;
          return { ...rest, ...(Object.keys(removed).length ? { removed } : {}) };
        });
      }
      return res;
    },
  });
}
