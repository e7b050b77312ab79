/**
 * The contract: high availability on a cluster — Pacemaker on plain Debian (`corosync` provider);
 * Proxmox's ha-manager (`pve-ha`) later behind the same members. Floating IPs, services and libvirt
 * guests that the HA engine restarts on a healthy node when theirs fails.
 */
import type { Result } from '../../result';
import type { HaEngineName, HaFailure, HaNode, HaResource } from '../../ha/types';
import type { MethodTable } from './table';
import type { ClusterRef } from './shared';
import { clusterName, nodeName } from './shared';
import { boolean, literal, object, optional, pattern, string } from '../validators';
import type { HaConsent, HaRequirement } from '../../ha/pve-requirements';
import type { RequestedState } from '../../ha/requested-state';

// High availability

export type { HaEngineName, HaFailure, HaNode, HaResource, HaResourceState } from '../../ha/types';
export type { HaConsent, HaRequirement } from '../../ha/pve-requirements';
export type { RequestedState } from '../../ha/requested-state';
export { REQUESTED_STATES, REQUESTED_STATE_WORDS } from '../../ha/requested-state';
export { explainPveHaState } from '../../ha/pve-status';

export interface HaStatusView {
  readonly cluster: string;
  /** null: no HA engine runs on this cluster. */
  readonly engine: HaEngineName | null;
  /** Designated Controller (Pacemaker); null while none is elected or without an engine. */
  readonly dc: string | null;
  readonly quorate: boolean | null;
  /** false: fencing is off (stonith-enabled=false). */
  readonly fencing: boolean | null;
  readonly nodes: readonly HaNode[];
  readonly resources: readonly HaResource[];
  readonly failures: readonly HaFailure[];
  /** The node whose engine answered. */
  readonly readFrom: string | null;
  readonly updatedAt: number;
}

export interface HaEnableParams {
  readonly cluster: string;
  /**
   * Run without fencing (stonith-enabled=false). Only with `confirm` equal to the cluster name:
   * without fencing a split cannot be recovered safely.
   */
  readonly noFencing?: boolean;
  readonly confirm?: string;
}

export interface HaEnableOutcome {
  readonly cluster: string;
  readonly engine: HaEngineName;
  /** Pacemaker was already running on every node with these settings: nothing changed. */
  readonly alreadyEnabled: boolean;
  /** Nodes on which the packages were installed now. */
  readonly installed: readonly string[];
  /** Nodes on which pacemakerd was started now. */
  readonly started: readonly string[];
  readonly dc: string;
  /** Each property set, with why, in words. */
  readonly properties: readonly string[];
  readonly fencing: { readonly enabled: boolean; readonly explanation: string; readonly options: readonly string[] };
  readonly notes: readonly string[];
}

export interface HaAddParams {
  readonly cluster: string;
  /** A floating IP, `198.18.0.100/24` (the prefix may be left out: the nodes' own is used). */
  readonly ip?: string;
  /** A systemd unit (or LSB init script) that exists on every node. */
  readonly service?: string;
  /**
   * Pacemaker: a libvirt guest's XML file (ocf:heartbeat:VirtualDomain), where libvirt is installed on
   * every node. Proxmox VE: the VMID of a VM (ha-manager service `vm:VMID`).
   */
  readonly vm?: string;
  /** Proxmox VE: the CTID of a container (ha-manager service `ct:CTID`). */
  readonly ct?: string;
  /** Run where this resource runs, and start after it (colocation + ordering). */
  readonly with?: string;
  /** Resource id; default made from the IP / unit / file name. */
  readonly id?: string;
  /** Proxmox VE: add even though the cluster has fewer than three votes (the user was told why not). */
  readonly allowFewVotes?: boolean;
  /** Proxmox VE: add a guest with disks on local storage (HA can then only restart it on its node). */
  readonly allowLocalDisks?: boolean;
}

export interface HaRequirementsParams {
  readonly cluster: string;
  /** The guest about to be added (Proxmox VE): its disks are checked too. */
  readonly vm?: string;
  readonly ct?: string;
  /** Consents already given: their checks show as accepted warnings. */
  readonly allowFewVotes?: boolean;
  readonly allowLocalDisks?: boolean;
}

export interface HaRequirementsView {
  readonly cluster: string;
  /** `vm:100` / `ct:200`, null when no guest was named. */
  readonly guest: string | null;
  /** Every requirement with pass / warn / fail / unchecked, in the docs' order. */
  readonly checks: readonly HaRequirement[];
  /** What still blocks `ha add`: consents the user has to give (flags / checkboxes). */
  readonly consentNeeded: readonly HaConsent[];
}

export interface HaSetParams {
  readonly cluster: string;
  readonly id: string;
  /** ha-manager's requested states; on Pacemaker started/stopped/ignored map to meta attributes, disabled is refused. */
  readonly state: RequestedState;
}

export interface HaSetOutcome {
  readonly id: string;
  readonly requested: RequestedState;
  /** The resource as the engine reports it after the change settled (or the wait ran out). */
  readonly resource: HaResource | null;
}

export interface HaAddOutcome {
  readonly id: string;
  readonly kind: 'ip' | 'service' | 'vm';
  readonly state: HaResource['state'];
  readonly node: string | null;
  readonly with: string | null;
  /** Proxmox VE: the requirements as checked before adding (accepted consents show as warnings). */
  readonly requirements?: readonly HaRequirement[];
}

export interface HaResourceRef {
  readonly cluster: string;
  readonly id: string;
}

export interface HaMoveParams {
  readonly cluster: string;
  readonly id: string;
  /** Node name; it must be online, not in standby and not in maintenance. */
  readonly to: string;
}

export interface HaStandbyParams {
  readonly cluster: string;
  readonly node: string;
  /** true: standby (its resources move away); false: back in service. */
  readonly standby: boolean;
}

export interface HaStandbyOutcome {
  readonly node: string;
  readonly standby: boolean;
  /** Where each resource runs afterwards. */
  readonly resources: readonly HaResource[];
}

/** Payload of `onDidChangeHa`: the whole HA status, replacing the previous one. */
export interface HaChange {
  readonly cluster: string;
  readonly status: HaStatusView;
}

/** Payload of `onDidHaProgress`: one line of `haEnable`'s progress (apt output, daemon start). */
export interface HaProgressLine {
  readonly cluster: string;
  readonly node: string;
  readonly line: string;
  readonly at: number;
}

export interface HaApi {
  /** The HA engine's own view (crm_mon); `engine: null` when none runs. Starts live updates (`onDidChangeHa`). */
  haStatus(params: ClusterRef): Promise<Result<HaStatusView>>;
  /**
   * Install and start Pacemaker on every node, wait for one DC, set the properties a homelab needs.
   * Idempotent. Errors: `ha.no-quorum`, `ha.fencing-required`, `ha.confirm-mismatch`,
   * `ha.packages-missing`, `ha.node-unreachable`, `ha.no-dc`.
   */
  haEnable(params: HaEnableParams): Promise<Result<HaEnableOutcome>>;
  /**
   * Errors: `ha.ip-in-use`, `ha.ip-outside-subnets`, `ha.unit-missing`, `ha.resource-exists`, `ha.unknown-resource`, …
   * Proxmox VE: `ha.few-votes`, `ha.local-disks` (refused without the matching consent), `ha.unknown-guest`.
   */
  haAdd(params: HaAddParams): Promise<Result<HaAddOutcome>>;
  haRemove(params: HaResourceRef): Promise<Result<{ readonly id: string }>>;
  /**
   * The HA requirements (votes, shared storage, watchdog, hardware) checked where they can be, before
   * `haAdd`. Proxmox VE clusters; a Pacemaker cluster gets the votes only.
   */
  haRequirements(params: HaRequirementsParams): Promise<Result<HaRequirementsView>>;
  /** Set a resource's requested state. Errors: `ha.unknown-resource`, `ha.state-not-supported` (Pacemaker: disabled). */
  haSet(params: HaSetParams): Promise<Result<HaSetOutcome>>;
  /** Errors: `ha.node-unavailable` (offline, standby or maintenance), `ha.unknown-resource`. */
  haMove(params: HaMoveParams): Promise<Result<HaResource>>;
  haStandby(params: HaStandbyParams): Promise<Result<HaStandbyOutcome>>;
}

export interface HaEvents {
  onDidChangeHa: HaChange;
  onDidHaProgress: HaProgressLine;
}

export const haEvents = ['onDidChangeHa', 'onDidHaProgress'] as const;

const resourceId = pattern(
  /^([A-Za-z_][A-Za-z0-9_.-]*|(vm|ct):\d{3,9})$/,
  'a resource id: a letter or "_", then letters, digits, "_", "." or "-" (Proxmox: vm:VMID, ct:CTID)',
  64,
);

export const haMethods: MethodTable<HaApi> = {
  haStatus: object({ cluster: clusterName }),
  haEnable: object({ cluster: clusterName, noFencing: optional(boolean()), confirm: optional(string({ max: 64 })) }),
  haAdd: object({
    cluster: clusterName,
    ip: optional(pattern(/^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/, 'an IPv4 address like 198.18.0.100/24', 18)),
    service: optional(pattern(/^[A-Za-z0-9][A-Za-z0-9@._:-]*$/, 'a systemd unit or init script name', 128)),
    vm: optional(
      pattern(
        /^(\/[A-Za-z0-9@._/-]+|\d{3,9})$/,
        'an absolute path to a libvirt domain XML file, or a Proxmox VMID',
        255,
      ),
    ),
    ct: optional(pattern(/^\d{3,9}$/, 'a Proxmox container id (CTID)', 9)),
    with: optional(resourceId),
    id: optional(resourceId),
    allowFewVotes: optional(boolean()),
    allowLocalDisks: optional(boolean()),
  }),
  haRemove: object({ cluster: clusterName, id: resourceId }),
  haRequirements: object({
    cluster: clusterName,
    vm: optional(pattern(/^\d{3,9}$/, 'a Proxmox VMID', 9)),
    ct: optional(pattern(/^\d{3,9}$/, 'a Proxmox container id (CTID)', 9)),
    allowFewVotes: optional(boolean()),
    allowLocalDisks: optional(boolean()),
  }),
  haSet: object({ cluster: clusterName, id: resourceId, state: literal('started', 'stopped', 'disabled', 'ignored') }),
  haMove: object({ cluster: clusterName, id: resourceId, to: nodeName }),
  haStandby: object({ cluster: clusterName, node: nodeName, standby: boolean() }),
};
