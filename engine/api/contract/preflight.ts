/** The contract: pre-flight checks and measurements. */
import type { CheckStatus, Check as PreflightCheck } from '../../preflight/types';
import type { Result } from '../../result';
import type { MethodTable } from './table';
import type { LinkNumberValue } from './shared';
import { addresses, clusterName, links } from './shared';
import { literal, object, optional } from '../validators';

// Preflight

/** A corosync link: its number and the IPv4 network (CIDR) each machine has an address in. */
export interface LinkNetwork {
  readonly linknumber: LinkNumberValue;
  /** `198.18.0.0/24`. */
  readonly network: string;
}

export interface ListNetworksParams {
  readonly addresses: readonly string[];
}

/** A network some of the machines have an address in: a candidate for a corosync link. */
export interface CandidateNetwork {
  readonly network: string;
  /** Machine address → its address in that network. Machines without one are absent. */
  readonly addresses: Readonly<Record<string, string>>;
}

export interface PreflightParams {
  readonly addresses: readonly string[];
  readonly links: readonly LinkNetwork[];
  /** `create` (first machine founds the cluster) or `join` an existing `cluster`. */
  readonly mode: 'create' | 'join';
  readonly cluster?: string;
}

// One line of the pre-flight report: the engine's own type, so the two can never drift apart.
export type { Check as PreflightCheck, CheckStatus } from '../../preflight/types';
/** One direction of one pair on one link. */
export interface LinkPairLatency {
  readonly from: string;
  readonly to: string;
  readonly udpReachable: boolean;
  readonly rttAvgMs: number;
  readonly jitterMs: number;
  /** 0..100. */
  readonly lossPercent: number;
  readonly status: CheckStatus;
}

export interface LinkLatency {
  readonly linknumber: LinkNumberValue;
  readonly network: string;
  readonly pairs: readonly LinkPairLatency[];
}

export interface ClockOffset {
  readonly machine: string;
  /**
   * Signed, against the median machine's clock: the figure the `preflight.clock-offset` check judges
   * (its measured text is this value's size). 0 when the clock could not be read.
   */
  readonly offsetMs: number;
  readonly ntpSynchronized: boolean | null;
  /** What the `preflight.ntp` check measured, in its words: `synchronised`, `no NTP daemon`, `unknown`. */
  readonly ntp: string;
  /** The `preflight.clock-offset` check's status. */
  readonly status: CheckStatus;
}

export interface MachineVersions {
  readonly machine: string;
  readonly hostname: string;
  readonly os: string | null;
  /** null: not installed. */
  readonly corosync: string | null;
  readonly qdevice: boolean;
  /** pve-manager version, null on plain Debian. */
  readonly pve: string | null;
}

export interface PreflightReport {
  /** No check failed (warnings allowed). */
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
  readonly latency: readonly LinkLatency[];
  readonly clocks: readonly ClockOffset[];
  readonly versions: readonly MachineVersions[];
  readonly measuredAt: number;
}

export interface PreflightApi {
  /** IPv4 networks the machines have addresses in, as candidates for corosync links. */
  listNetworks(params: ListNetworksParams): Promise<Result<CandidateNetwork[]>>;
  /** Measures and checks everything a create or join needs (takes a few seconds). */
  runPreflight(params: PreflightParams): Promise<Result<PreflightReport>>;
}

export const preflightMethods: MethodTable<PreflightApi> = {
  listNetworks: object({ addresses }),
  runPreflight: object({ addresses, links, mode: literal('create', 'join'), cluster: optional(clusterName) }),
};
