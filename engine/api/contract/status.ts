/** The contract: a cluster's status read once, now, from one member (no agent needed). */
import type { Result } from '../../result';
import { object } from '../validators';
import type { MethodTable } from './table';
import type { ClusterRef } from './shared';
import { clusterName } from './shared';
import type { ClusterStatus } from './watch';

/** `ClusterStatus` as one read gives it (`links` empty: a single read measures none), and where it came from. */
export interface ClusterSnapshot extends ClusterStatus {
  /** The machine (address as added) whose corosync answered. */
  readonly readFrom: string;
  /** `totem.cluster_name` in corosync.conf on that machine (normally the cluster's name). */
  readonly clusterName: string;
}

export interface StatusApi {
  /**
   * What corosync on the first member that answers says now (`corosync-quorumtool -s` and
   * corosync.conf over SSH). Errors: `ops.unknown-cluster`, `ops.cluster-unreachable`, `ops.no-status`.
   */
  readClusterStatus(params: ClusterRef): Promise<Result<ClusterSnapshot>>;
}

export const statusMethods: MethodTable<StatusApi> = {
  readClusterStatus: object({ cluster: clusterName }),
};
