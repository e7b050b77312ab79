/** The contract: cluster status, notices and the timeline. */
import type { HaNoticeText } from '../../ha/notices';
import type { PveNoticeKind } from '../../ha/pve-notices';
import type { Notice as MonitorNotice, NoticeKind as MonitorNoticeKind } from '../../monitor/notices';
import type { Result } from '../../result';
import type { MethodTable } from './table';
import type { LinkNumberValue } from './shared';
import type { ClusterRef } from './shared';
import { clusterName } from './shared';
import { integer, none, object, optional } from '../validators';

// Watch

export type HealthState = 'quorate' | 'degraded' | 'unknown' | 'inquorate';

export interface ClusterSummary {
  readonly name: string;
  readonly state: HealthState;
  readonly nodes: readonly string[];
  readonly hasQdevice: boolean;
}

export interface NodeStatus {
  readonly name: string;
  readonly nodeid: number;
  readonly votes: number;
  /** In the membership of the reporting partition. */
  readonly online: boolean;
  /** The machine (address as added) behind this node. */
  readonly machine: string | null;
  /** Put in maintenance by the user (`setMaintenance`, a rolling update); absent otherwise. */
  readonly maintenance?: boolean;
}

export interface QdeviceStatus {
  readonly host: string;
  readonly algorithm: 'ffsplit' | 'lms';
  readonly votes: number;
  /**
   * corosync-quorumtool's Qdevice flags as printed, e.g. `A,V,NMW`:
   * A/NA alive/not alive, V/NV vote/no vote, MW/NMW master wins/not, NR not registered.
   */
  readonly flags: string;
}

export interface LinkHealth {
  readonly a: string;
  readonly b: string;
  readonly linknumber: LinkNumberValue;
  readonly state: 'up' | 'down' | 'unknown';
  /** Last measured round trip, null when unknown. */
  readonly rttMs: number | null;
}

export interface ClusterStatus {
  readonly name: string;
  readonly state: HealthState;
  /** null: no node answered. */
  readonly quorate: boolean | null;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly canLose: number;
  readonly nodes: readonly NodeStatus[];
  readonly qdevice: QdeviceStatus | null;
  readonly links: readonly LinkHealth[];
  /** The node whose view this is. */
  readonly reporter: string | null;
  readonly updatedAt: number;
}

/**
 * What a notice is about: the monitor's kinds (`engine/monitor/notices.ts`: `node-left` a clean stop
 * or a node leaving the nodelist, info; `node-lost` out of the membership without stopping, warning;
 * `expected-restored`: lowered expected votes raised back by corosync)
 * and the HA engine's (`engine/ha/notices.ts`: a resource moved or failed, fencing off or pending;
 * `engine/ha/pve-notices.ts`: a Proxmox guest recovered elsewhere or in `error`, a migration
 * Quorate ran finished or failed).
 */
export type NoticeKind = MonitorNoticeKind | HaNoticeText['kind'] | PveNoticeKind;

/**
 * Payload of `onDidNotify`: what a native notification and the in-app banner show — the monitor's
 * notice as it settled (its `seenAt`, before debouncing, stays in the engine).
 */
export type Notice = Omit<MonitorNotice, 'kind' | 'seenAt'> & {
  readonly kind: NoticeKind;
  /** The HA resource or guest it is about (`vm:100`), for HA and migration notices. */
  readonly resource?: string;
};

/** Payload of `onDidAddTimelineEntry`, and what `listTimeline` returns. */
export interface TimelineEntry {
  readonly cluster: string;
  readonly at: number;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly text: string;
  /** What it is (a notice kind, `operation`, `away`, an agent journal kind); absent from older engines. */
  readonly kind?: string;
  readonly node?: string | null;
  /** `monitor` (this desktop saw it), `agent` (a node's journal, while Quorate was closed), `operation`. */
  readonly source?: 'monitor' | 'agent' | 'operation';
  /** For operations: open its journal with `readOperationJournal`. */
  readonly opId?: string;
}

export interface TimelineParams {
  readonly cluster: string;
  /** Newest first; default 100. */
  readonly limit?: number;
}

/** Payload of `onDidChangeQuorum`: the cluster's whole status, replacing the previous one. */
export interface QuorumChange {
  readonly cluster: string;
  readonly status: ClusterStatus;
}

export interface WatchApi {
  listClusters(): Promise<Result<ClusterSummary[]>>;
  /** The latest status (from the agents' quorum streams); errors: `clusters.unknown`. */
  clusterStatus(params: ClusterRef): Promise<Result<ClusterStatus>>;
  listTimeline(params: TimelineParams): Promise<Result<TimelineEntry[]>>;
  /** Notices still relevant (e.g. quorum lost and not regained), most severe first, for the banner after a reload. */
  listNotices(): Promise<Result<Notice[]>>;
}

export interface WatchEvents {
  onDidChangeQuorum: QuorumChange;
  onDidNotify: Notice;
  onDidAddTimelineEntry: TimelineEntry;
}

export const watchEvents = ['onDidChangeQuorum', 'onDidNotify', 'onDidAddTimelineEntry'] as const;

export const watchMethods: MethodTable<WatchApi> = {
  listClusters: none(),
  clusterStatus: object({ cluster: clusterName }),
  listTimeline: object({ cluster: clusterName, limit: optional(integer(1, 1000)) }),
  listNotices: none(),
};
