/** The contract: the clusters Quorate manages — listing them, adopting one it did not create, forgetting one. */
import type { ClusterRecord, DamagedRecord } from '../../ops/cluster-record';
import type { Result } from '../../result';
import type { MethodTable } from './table';
import { address, clusterName } from './shared';
import { none, object } from '../validators';

export interface AdoptParams {
  /** A trusted machine that is a member of the running cluster. */
  readonly from: string;
}

export interface AdoptedNode {
  /** nodelist name. */
  readonly name: string;
  readonly nodeid: number;
  /** Link addresses, link 0 first. */
  readonly addresses: readonly string[];
  /** The machine (as added to Quorate) this node is, null when none is known. */
  readonly machine: string | null;
  /** A member of the partition the machine read from is in. */
  readonly online: boolean;
}

export interface AdoptFinding {
  /** Stable: `conf-same`, `authkey-same`, `corosync-running`, `qdevice`, `expected-votes`, `nodes-joined`, `machines-known`, `conf-check`. */
  readonly id: string;
  readonly status: 'pass' | 'warn' | 'fail';
  readonly message: string;
  readonly hint: string;
}

/** `quorate clusters adopt --from ADDR --json` prints exactly this (fixed shape). */
export interface AdoptResult {
  readonly name: string;
  readonly provider: 'corosync' | 'pve';
  readonly configVersion: number;
  readonly nodes: readonly AdoptedNode[];
  readonly findings: readonly AdoptFinding[];
}

export interface ForgetClusterParams {
  readonly cluster: string;
}

/** The registry as stored: every record that loads, and every file that does not (named, with a fix). */
export interface RegisteredClusters {
  /** `quorate clusters list --json` prints `{ clusters }` exactly (the records as stored). */
  readonly clusters: readonly ClusterRecord[];
  readonly damaged: readonly DamagedRecord[];
}

export interface AdoptApi {
  /** The clusters Quorate manages, with which machine each node is; a damaged record never hides the others. */
  listRegisteredClusters(): Promise<Result<RegisteredClusters>>;
  /**
   * Reads corosync.conf, membership and quorum from `from` (and every known member), checks what a
   * careful admin would, and registers the cluster under its totem.cluster_name (again: updates).
   * Changes nothing on any machine. Errors: `machines.unknown`, `machines.untrusted`,
   * `ssh.host-key-changed`, `adopt.not-in-cluster`, `adopt.unreadable-conf`, `adopt.invalid-conf`,
   * `adopt.unnamed-node`, `adopt.name-taken`.
   */
  adoptCluster(params: AdoptParams): Promise<Result<AdoptResult>>;
  /** Quorate stops managing the cluster; no machine is touched. Error: `ops.unknown-cluster`. */
  forgetCluster(params: ForgetClusterParams): Promise<Result<null>>;
}

export const adoptMethods: MethodTable<AdoptApi> = {
  listRegisteredClusters: none(),
  adoptCluster: object({ from: address }),
  forgetCluster: object({ cluster: clusterName }),
};
