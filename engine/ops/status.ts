/** `quorate status`: the cluster as its members report it. */
import { err, ok, type Result } from '../result';
import { qdeviceFlags } from '../providers/qdevice-flags';
import { readClusterState, withRunners, type ClusterState, type OpsContext } from './run';
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
