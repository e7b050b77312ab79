/**
 * What the node agent reports (`facts`, `probe.measure`) → what pre-flight reasons about
 * (engine/preflight/types). Pure, so the mapping is table-tested without a machine.
 */
import type { Fact, FactsResult, ProbeMeasureResult } from '../agent/protocol';
import { parseConf, readConf } from '../corosync';
import type { LinkNumber } from '../model/cluster';
import { summariseProbe } from '../preflight/probe';
import type { LinkMeasurement, MachineFacts } from '../preflight/types';

/** UDP port the probe responders answer on: inside 5405–5412, so a firewall blocking corosync blocks it too. */
export const PROBE_PORT = 5412;

const value = <T>(f: Fact<T> | undefined, fallback: T): T => (f && f.ok ? f.value : fallback);

/**
 * `totem.cluster_name` of a corosync.conf text, read with the real parser (a regex also matched
 * `cluster_name:` inside other sections and comments, and was quadratic on long blank runs);
 * undefined when the file names none or does not parse.
 */
export function clusterNameOf(conf: string): string | undefined {
  const doc = parseConf(conf);
  return doc.ok ? readConf(doc.value).totem.clusterName : undefined;
}

/**
 * The agent's `facts` for `machine` (how the user added it) as pre-flight input. A sub-fact the agent
 * could not collect reads as "not there" (versions, guests) or "unknown" (NTP, CPU vendor).
 */
export function machineFactsFromAgent(machine: string, f: FactsResult): MachineFacts {
  const config = value(f.clusterConfig, { corosyncConf: null, pveCorosyncConf: null, authkeyExists: false });
  const confText = config.pveCorosyncConf ?? config.corosyncConf;
  const clusterName = confText !== null ? clusterNameOf(confText) : undefined;
  return {
    machine,
    hostname: value(f.hostname, ''),
    corosyncVersion: value(f.versions.corosync, null),
    qdeviceInstalled: value(f.versions.corosyncQdevice, null) !== null,
    pveVersion: value(f.versions.pve, null),
    os: value(f.osRelease, null)?.prettyName ?? undefined,
    interfaces: value(f.interfaces, []).map((i) => ({ name: i.name, addresses: [...i.addresses] })),
    ntpSynchronized: value(f.timeSync, null)?.synchronized ?? null,
    ntpSummary: value(f.timeSync, null)?.summary,
    hasCorosyncConf: config.corosyncConf !== null || config.pveCorosyncConf !== null,
    hasAuthkey: config.authkeyExists,
    corosyncRunning: value(f.membership, null)?.running ?? false,
    ...(clusterName ? { clusterName } : {}),
    guests: value(f.guests, []).map((g) => ({ vmid: g.vmid, name: g.name, kind: g.kind })),
    cpuVendor: value(f.cpuVendor, null),
  };
}

/**
 * One `probe.measure` result as a pre-flight measurement, summarised by `summariseProbe` (the
 * slowest tenth dropped). An agent older than 0.2.0 sends no per-reply RTTs: its average stands in.
 */
export function measurementFromProbe(
  from: string,
  to: string,
  link: LinkNumber,
  sent: number,
  r: ProbeMeasureResult | null,
): LinkMeasurement {
  if (r === null) {
    return summariseProbe(from, to, link, sent, []);
  }
  const rtts = r.rttsMs ?? (r.rttAvgMs === null ? [] : Array.from({ length: r.received }, () => r.rttAvgMs!));
  return summariseProbe(from, to, link, sent, rtts);
}

function ipv4ToInt(ip: string): number | null {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    return null;
  }
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

/** The first interface address inside `cidr` (IPv4), or null. */
export function addressInCidr(facts: MachineFacts, cidr: string): string | null {
  const [net, bitsS] = cidr.split('/');
  const n = ipv4ToInt(net ?? '');
  const bits = Number(bitsS ?? 32);
  if (n === null || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return null;
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  for (const i of facts.interfaces) {
    for (const a of i.addresses) {
      const ip = a.split('/')[0]!;
      const v = ipv4ToInt(ip);
      if (v !== null && (v & mask) >>> 0 === (n & mask) >>> 0) {
        return ip;
      }
    }
  }
  return null;
}
