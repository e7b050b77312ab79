/**
 * What an HA engine reports and accepts, as plain data. Pacemaker (plain Debian) fills it from
 * `crm_mon --output-as=xml`; Proxmox's ha-manager (the `pve` provider) will fill the same shape.
 */

export type HaEngineName = 'pacemaker' | 'pve-ha';

/**
 * One word per resource, the same for both engines: `started` (running on `node`), `starting`,
 * `stopping`, `stopped` (not running, nothing wrong), `failed` (an action failed and it does not
 * run), `blocked` (the engine will not touch it until an admin acts), `unmanaged` (maintenance).
 */
export type HaResourceState = 'started' | 'starting' | 'stopping' | 'stopped' | 'failed' | 'blocked' | 'unmanaged';

export interface HaResource {
  readonly id: string;
  /** `ocf:heartbeat:IPaddr2`, `systemd:nginx`, … */
  readonly agent: string;
  readonly state: HaResourceState;
  /** Where it runs now; null when it runs nowhere. */
  readonly node: string | null;
  /** The group it belongs to, if any. */
  readonly group: string | null;
  /** The engine's own word when it says more than `state` (ha-manager: `fence`, `recovery`, `error`, …). */
  readonly engineState?: string;
}

export interface HaNode {
  readonly name: string;
  readonly online: boolean;
  readonly standby: boolean;
  readonly maintenance: boolean;
  /** Lost without being fenced yet (Pacemaker's `unclean`): resources on it are in doubt. */
  readonly unclean: boolean;
  readonly isDc: boolean;
}

/** A failed action, as the engine keeps it until cleaned up. */
export interface HaFailure {
  readonly resource: string;
  /** `start`, `monitor`, `stop`, … */
  readonly task: string;
  readonly node: string;
  /** The engine's own words, e.g. `not running`, `not configured: [findif] failed`. */
  readonly reason: string;
  /** Epoch ms when the engine recorded it; null when it did not say. */
  readonly at: number | null;
  /** Distinguishes repeated failures of the same op (Pacemaker's call id). */
  readonly call: number;
}

export interface HaStatus {
  readonly engine: HaEngineName;
  /** The Designated Controller (Pacemaker) or CRM master (ha-manager); null while none is elected. */
  readonly dc: string | null;
  /** Whether the reporting partition has quorum as the engine sees it; null when unknown. */
  readonly quorate: boolean | null;
  /** false: fencing is off (stonith-enabled=false); null when the engine does not say. */
  readonly fencing: boolean | null;
  readonly nodes: readonly HaNode[];
  readonly resources: readonly HaResource[];
  readonly failures: readonly HaFailure[];
}

/** What `ha add` creates. */
export type HaResourceSpec =
  | { readonly kind: 'ip'; readonly id: string; readonly ip: string; readonly prefix: number; readonly nic?: string }
  | { readonly kind: 'service'; readonly id: string; readonly unit: string; readonly class: 'systemd' | 'lsb' }
  | { readonly kind: 'vm'; readonly id: string; readonly config: string };
