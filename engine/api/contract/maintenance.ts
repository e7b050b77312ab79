/** The contract: what-if on the live cluster, maintenance mode, rolling updates. */
import type { Result } from '../../result';
import type { MethodTable } from './table';
import { clusterName, nodeName } from './shared';
import { array, boolean, object, optional } from '../validators';

// Maintenance

export interface WhatIfParams {
  readonly cluster: string;
  /** Nodes (nodelist names) that would go away. */
  readonly down: readonly string[];
  /** The qnetd host would be unreachable (the QDevice casts no vote). */
  readonly qdevice?: boolean;
}

export interface WhatIfFigures {
  readonly quorate: boolean;
  readonly votes: number;
  readonly expectedVotes: number;
  readonly quorum: number;
  /** Further nodes it can lose, one after another, and stay quorate. */
  readonly canLose: number;
}

export interface WhatIfResult {
  /** As corosync reports it now (canLose computed by the engine's model). */
  readonly now: WhatIfFigures;
  /** The partition of every remaining member, once corosync has settled. */
  readonly after: WhatIfFigures;
  readonly reason: string;
  /** Members left after the loss, nodelist order. */
  readonly remaining: readonly string[];
  /** The node whose corosync view this is. */
  readonly readFrom: string;
}

export interface MaintenanceApi {
  /**
   * "If these nodes (and/or the QDevice) go away, is the rest quorate, and how many more can it
   * lose?" — from the live membership and corosync.conf; nothing changes anywhere.
   * Errors: `whatif.unknown-node`, `whatif.no-qdevice`, `ops.unknown-cluster`, `ops.cluster-unreachable`.
   */
  whatIf(params: WhatIfParams): Promise<Result<WhatIfResult>>;
}

export const maintenanceMethods: MethodTable<MaintenanceApi> = {
  whatIf: object({
    cluster: clusterName,
    down: array(nodeName, { max: 64, unique: true }),
    qdevice: optional(boolean()),
  }),
};
