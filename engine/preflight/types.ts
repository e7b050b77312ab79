/**
 * What pre-flight reasons about: facts the agents (or an SSH fact probe) report per machine, and
 * measurements between machines. Everything is plain data so the checks are pure and table-testable.
 */
import type { LinkNumber } from '../model/cluster';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of the pre-flight report. `measured`/`threshold` are human strings with units. */
export interface Check {
  /** Stable id, namespaced like error codes: `preflight.latency`, `preflight.clock-offset`. */
  readonly id: string;
  /** What was checked: a machine (`node2`), a pair and link (`node1 ↔ node2 link0`), or `cluster`. */
  readonly subject: string;
  readonly status: CheckStatus;
  readonly measured: string;
  readonly threshold: string;
  /** What to do about it; empty for a pass. */
  readonly hint: string;
}

export interface GuestFact {
  readonly vmid: number;
  readonly name: string;
  readonly kind: 'qemu' | 'lxc';
}

export interface InterfaceFact {
  readonly name: string;
  /** Addresses with prefix, `198.18.0.1/24`. */
  readonly addresses: readonly string[];
}

/** What one machine says about itself. `null` means "the probe could not tell". */
export interface MachineFacts {
  /** How the user knows the machine (its address as added); used as the check subject. */
  readonly machine: string;
  readonly hostname: string;
  /** `corosync -v` version, `3.1.7`; null when corosync is not installed. */
  readonly corosyncVersion: string | null;
  /** `corosync-qdevice` binary present. */
  readonly qdeviceInstalled: boolean;
  /** `pveversion` (pve-manager), `8.2.4`; null on plain Debian. */
  readonly pveVersion: string | null;
  /** The OS as it names itself (os-release PRETTY_NAME), for the versions table. */
  readonly os?: string;
  readonly interfaces: readonly InterfaceFact[];
  /** true/false from timedatectl/chronyc; null when unknown. */
  readonly ntpSynchronized: boolean | null;
  /** What the machine said about time sync when it could not tell yes/no, e.g. "no NTP daemon". */
  readonly ntpSummary?: string;
  readonly hasCorosyncConf: boolean;
  readonly hasAuthkey: boolean;
  readonly corosyncRunning: boolean;
  /** `totem.cluster_name` of an existing corosync.conf, when there is one. */
  readonly clusterName?: string;
  readonly guests: readonly GuestFact[];
  /** `GenuineIntel`, `AuthenticAMD`, …; null when unknown. */
  readonly cpuVendor: string | null;
}

/** One direction of one pair on one link, measured with UDP on the corosync port range. */
export interface LinkMeasurement {
  readonly from: string;
  readonly to: string;
  readonly link: LinkNumber;
  /** Whether any probe datagram came back. When false the other figures are meaningless. */
  readonly udpReachable: boolean;
  readonly rttAvgMs: number;
  /** Mean absolute difference between consecutive RTTs, ms. */
  readonly jitterMs: number;
  /** 0..100. */
  readonly lossPercent: number;
}

/** An existing cluster the machines are to join (absent for create). */
export interface ExistingCluster {
  readonly name: string;
  readonly quorate: boolean;
  readonly nodes: readonly { readonly name: string; readonly addresses: Partial<Record<LinkNumber, string>> }[];
  /** Link numbers the cluster's nodes use. */
  readonly links: readonly LinkNumber[];
  readonly hasQdevice: boolean;
}

export interface PreflightInput {
  /** `create`: the first machine founds the cluster, the others join it. `join`: all join `cluster`. */
  readonly mode: 'create' | 'join';
  readonly machines: readonly MachineFacts[];
  /** Intended corosync address per link per machine (keyed by `MachineFacts.machine`). */
  readonly linkAddresses: Readonly<Record<string, Partial<Record<LinkNumber, string>>>>;
  readonly measurements: readonly LinkMeasurement[];
  /** Clock offset of each machine against the reference (the desktop), ms, signed. */
  readonly clockOffsetsMs: Readonly<Record<string, number>>;
  readonly cluster?: ExistingCluster;
}

export interface PreflightReport {
  /** No check failed. */
  readonly ok: boolean;
  readonly checks: readonly Check[];
}
