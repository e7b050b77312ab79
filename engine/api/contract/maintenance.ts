/** The contract: what-if on the live cluster, maintenance mode, rolling updates. */
import type { QuorateError, Result } from '../../result';
import type { MethodTable } from './table';
import type { ClusterRef } from './shared';
import { clusterName, nodeName } from './shared';
import { array, boolean, literal, object, optional, string } from '../validators';

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

export interface MaintenanceParams {
  readonly cluster: string;
  /** Nodelist name. */
  readonly node: string;
  readonly enable: boolean;
  /** Only say what would happen (the what-if gate included); nothing changes. */
  readonly plan?: boolean;
  /**
   * The cluster name typed by the user; needed when the rest could then lose no further node
   * (`maintenance.confirm-needed` otherwise).
   */
  readonly confirm?: string;
}

export type MaintenanceEngineName = 'corosync' | 'pve-ha' | 'pacemaker';

export interface MaintenanceOutcome {
  readonly node: string;
  /** In maintenance after this call (or, with `plan`, after it would run). */
  readonly inMaintenance: boolean;
  readonly planned: boolean;
  /** Who moves the node's resources away: ha-manager, Pacemaker, or nobody (bare corosync). */
  readonly engine: MaintenanceEngineName;
  /** The gate: the cluster without this node (and the other nodes in maintenance); null for disable. */
  readonly whatIf: WhatIfResult | null;
  /** The typed confirmation is needed: the rest could then lose no further node. */
  readonly needsConfirm: boolean;
  /** What it does / did, one line each. */
  readonly steps: readonly string[];
  readonly moved: readonly string[];
  /** Guests / resources that could not move, and why. */
  readonly stuck: readonly { readonly id: string; readonly why: string }[];
}

export interface MaintenanceMarkView {
  readonly node: string;
  readonly since: number;
  readonly by: 'maintenance' | 'rolling';
  readonly engine: MaintenanceEngineName;
}

export type RollingRestart = 'none' | 'services' | 'reboot';

export interface RollingParams {
  readonly cluster: string;
  /** The shell command run as root on each node in turn (e.g. `apt-get -y full-upgrade`). */
  readonly run: string;
  /** After the command: restart corosync (`services`) or reboot the machine; default `none`. */
  readonly restart?: RollingRestart;
  /** Only show the steps and each node's what-if gate now; nothing changes. */
  readonly plan?: boolean;
}

export type RollingStepState = 'pending' | 'running' | 'done' | 'failed';

export interface RollingStepView {
  /** `command@node2`. */
  readonly id: string;
  readonly node: string;
  readonly kind: 'gate' | 'maintenance-on' | 'command' | 'restart' | 'wait-back' | 'maintenance-off';
  readonly title: string;
  readonly state: RollingStepState;
}

export interface RollingOutcome {
  readonly cluster: string;
  /** `planned` (with `plan`), `done`, or `failed` (stopped at a step; run the same request again to resume). */
  readonly state: 'planned' | 'done' | 'failed';
  /** An earlier unfinished run of the same request was continued. */
  readonly resumed: boolean;
  readonly steps: readonly RollingStepView[];
  /** With `plan`: each node's what-if gate as the cluster is now. */
  readonly gates: readonly { readonly node: string; readonly quorate: boolean; readonly reason: string }[];
  /** Why it stopped, and what to do (`failed` only). */
  readonly error: QuorateError | null;
}

/** Payload of `onDidUpdateRolling`: a step changed state, or printed a line of output. */
export interface RollingUpdate {
  readonly cluster: string;
  readonly stepId: string;
  readonly node: string;
  readonly state: RollingStepState;
  /** One line of live output (the user's command, waits), else null. */
  readonly line: string | null;
  readonly at: number;
}

export interface MaintenanceEvents {
  onDidUpdateRolling: RollingUpdate;
}

export const maintenanceEvents = ['onDidUpdateRolling'] as const;

export interface QuorumWaitResult {
  readonly waiting: boolean;
  /** Nodelist nodes not in the live membership. */
  readonly missing: readonly string[];
  readonly waitForAll: boolean;
  /** Enough votes are present; wait_for_all holds the cluster until every node has been seen. */
  readonly blockedByWaitForAll: boolean;
  /** "2 of 3 votes needed, 1 present: node3 is not back yet; with wait_for_all the cluster waits for every node". */
  readonly text: string;
  readonly readFrom: string;
}

export interface MaintenanceApi {
  /**
   * "If these nodes (and/or the QDevice) go away, is the rest quorate, and how many more can it
   * lose?" — from the live membership and corosync.conf; nothing changes anywhere.
   * Errors: `whatif.unknown-node`, `whatif.no-qdevice`, `ops.unknown-cluster`, `ops.cluster-unreachable`.
   */
  whatIf(params: WhatIfParams): Promise<Result<WhatIfResult>>;
  /**
   * Maintenance mode on/off for one node. Enable refuses (`maintenance.would-lose-quorum`) when the
   * rest would be inquorate, and needs `confirm` when the rest could then lose no further node.
   * Proxmox: ha-manager node-maintenance and waits for HA to move the node's services; Pacemaker:
   * standby and waits for its resources to leave; bare corosync: the mark only (nothing is stopped).
   */
  setMaintenance(params: MaintenanceParams): Promise<Result<MaintenanceOutcome>>;
  /** Nodes in maintenance (the state folder's marks). */
  listMaintenance(params: ClusterRef): Promise<Result<MaintenanceMarkView[]>>;
  /**
   * A rolling update: for each node in turn, what-if gate → maintenance on → `run` → restart or
   * reboot when asked → back in the quorate membership with its links up → maintenance off.
   * Progress and live output as `onDidUpdateRolling`. Stops at the first failure (`state: 'failed'`)
   * with that node left in maintenance; the same request again resumes. Errors: `ops.locked`
   * (another operation or rolling run holds the cluster), `rolling.unfinished` (a different request is unfinished).
   */
  rolling(params: RollingParams): Promise<Result<RollingOutcome>>;
  /** Cold start: why the cluster is not quorate yet (missing nodes, wait_for_all), from the live view. */
  quorumWait(params: ClusterRef): Promise<Result<QuorumWaitResult>>;
}

export const maintenanceMethods: MethodTable<MaintenanceApi> = {
  whatIf: object({
    cluster: clusterName,
    down: array(nodeName, { max: 64, unique: true }),
    qdevice: optional(boolean()),
  }),
  setMaintenance: object({
    cluster: clusterName,
    node: nodeName,
    enable: boolean(),
    plan: optional(boolean()),
    confirm: optional(string({ max: 64 })),
  }),
  listMaintenance: object({ cluster: clusterName }),
  quorumWait: object({ cluster: clusterName }),
  rolling: object({
    cluster: clusterName,
    run: string({ max: 4096 }),
    restart: optional(literal('none', 'services', 'reboot')),
    plan: optional(boolean()),
  }),
};
