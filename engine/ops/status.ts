/**
 * The cluster as one member's corosync reports it right now: corosync.conf and `corosync-quorumtool -s`
 * read over the machine's session. What `quorate status` and the window's first snapshot show is built
 * from this by the service (`engine/api/service-status.ts`).
 */
import type { QuorumtoolStatus } from '../corosync/tool-quorumtool';
import { err, ok, type Result } from '../result';
import { readClusterState, withRunners, type ClusterState, type OpsContext } from './run';

/** A read in which corosync answered. */
export interface LiveClusterState extends ClusterState {
  readonly status: QuorumtoolStatus;
}

/** Reads `name` from the first member whose corosync answers; `ops.no-status` when none does. */
export async function readLiveState(ctx: OpsContext, name: string): Promise<Result<LiveClusterState>> {
  return withRunners(ctx, async (runners) => {
    const state = await readClusterState(ctx, runners, name);
    if (!state.ok) {
      return state;
    }
    const { status } = state.value;
    if (!status) {
      return err(
        'ops.no-status',
        `corosync on ${state.value.readFrom} did not answer corosync-quorumtool`,
        'Check that corosync runs there.',
      );
    }
    return ok({ ...state.value, status });
  });
}
