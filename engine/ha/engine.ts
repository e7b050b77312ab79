/**
 * The HA engine interface: what Quorate asks of an HA engine on a cluster, whichever it is —
 * Pacemaker on plain Debian (`pacemaker.ts`), Proxmox's ha-manager on `pve` (later, same interface).
 * Every method returns a `Result`; nothing here decides policy (the use cases in
 * engine/api/service-ha.ts do: quorum, consent, address checks).
 */
import type { Result } from '../result';
import type { RequestedState } from './requested-state';
import type { HaEngineName, HaResourceSpec, HaStatus } from './types';

/** What one node has and runs, for `ha enable`'s checks. */
export interface HaNodeFacts {
  readonly node: string;
  /** Tools or agents missing on the node (empty: everything is installed). */
  readonly missing: readonly string[];
  readonly systemd: boolean;
  readonly apt: boolean;
  readonly libvirt: boolean;
  /** The engine already answers on the node. */
  readonly running: boolean;
  /** IPv4 addresses on the node: address, prefix, device. */
  readonly addresses: readonly { readonly address: string; readonly prefix: number; readonly dev: string }[];
}

export interface HaProgress {
  (node: string, line: string): void;
}

export interface HaEngine {
  readonly name: HaEngineName;
  /** The engine's own status, read from the first node that answers (a quorate one preferred). */
  status(): Promise<Result<HaStatus>>;
  inspect(): Promise<Result<HaNodeFacts[]>>;
  /** Install the engine's packages on `node` (progress line by line). */
  install(node: string, progress: HaProgress): Promise<Result<void>>;
  /** Start the engine on `node`; `already-running` when it was. */
  start(node: string): Promise<Result<'started' | 'already-running'>>;
  /** Cluster-wide properties; returns what was set, in words. */
  configure(opts: { readonly fencing: boolean }): Promise<Result<string[]>>;
  add(spec: HaResourceSpec, follow: string | null): Promise<Result<void>>;
  remove(id: string): Promise<Result<void>>;
  /** Ask for `id` to run on `node` (a location preference). */
  move(id: string, node: string): Promise<Result<void>>;
  /** Forget that preference once it moved, so it can fail over and does not move back later. */
  clearMove(id: string): Promise<Result<void>>;
  standby(node: string, on: boolean): Promise<Result<void>>;
  /** Set a resource's requested state (ha-manager's words; Pacemaker maps what has a meaning, requested-state.ts). */
  setState(id: string, state: RequestedState): Promise<Result<void>>;
  /** Whether a systemd unit / LSB script exists on `node`. */
  unitOn(node: string, unit: string): Promise<Result<'systemd' | 'lsb' | null>>;
  /** Whether something already answers on `ip`, probed from `node` (arping on `dev`, else ping). */
  addressInUse(node: string, ip: string, dev: string | null): Promise<Result<boolean>>;
  /** Follow the status: `onStatus` for every read (about every `intervalMs`); returns the stop function. */
  watch(onStatus: (s: Result<HaStatus>) => void, intervalMs: number): () => void;
}
