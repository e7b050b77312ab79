/**
 * The live model of a cluster: what corosync.conf, as a member's agent last read it, says about the
 * nodelist and the QDevice. Pure. The watch service keeps the model of the highest running
 * `config_version` its members report, so every screen shows the nodelist corosync holds — after
 * Quorate's own join / QDevice / remove, and after a change made elsewhere (a hand edit, pcs, the
 * Proxmox UI) — and never a copy of its own.
 */
import type { ConfigFact } from '../agent/protocol';
import { nodeLabel, parseConf, readConf } from '../corosync';

export interface ModelNode {
  readonly name: string;
  /** 0 when the nodelist gives none (corosync then derives it from ring0_addr; the agents say which). */
  readonly nodeid: number;
  readonly votes: number;
  /** ring0_addr..ring7_addr, lowest link first. */
  readonly addresses: readonly string[];
}

export interface ClusterModel {
  /** The running `totem.config_version` the file was read for (from cmap; else the file's own). */
  readonly configVersion: bigint | null;
  readonly clusterName: string | null;
  /** Sorted by nodeid, then name. */
  readonly nodes: readonly ModelNode[];
  readonly qdevice: {
    readonly host: string;
    readonly algorithm: 'ffsplit' | 'lms';
    /** `quorum.device.votes`; null when the file leaves it to corosync. */
    readonly votes: number | null;
  } | null;
  /** `totem.token` and `token_coefficient`, ms, when set. */
  readonly tokenMs?: number;
  readonly tokenCoefficientMs?: number;
}

/** The model in a watch event's config fact; null when there is no file or it does not parse. */
export function modelFromConfig(fact: ConfigFact): ClusterModel | null {
  if (fact.corosyncConf === null) {
    return null;
  }
  const parsed = parseConf(fact.corosyncConf);
  if (!parsed.ok) {
    return null;
  }
  const conf = readConf(parsed.value);
  const nodes = conf.nodes
    .map((n) => ({
      name: nodeLabel(n),
      nodeid: n.nodeid ?? 0,
      votes: n.quorumVotes ?? 1,
      addresses: Object.entries(n.links)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([, addr]) => addr as string),
    }))
    .filter((n) => n.name !== '')
    .sort((a, b) => a.nodeid - b.nodeid || a.name.localeCompare(b.name));
  const device = conf.quorum.device;
  const host = device?.net?.host;
  const fileVersion = conf.totem.configVersion ?? null;
  return {
    configVersion: fact.configVersion !== null ? BigInt(fact.configVersion) : fileVersion,
    clusterName: conf.totem.clusterName ?? null,
    nodes,
    qdevice:
      device && host
        ? {
            host,
            algorithm: /lms/i.test(device.net?.algorithm ?? '') ? 'lms' : 'ffsplit',
            votes: device.votes ?? null,
          }
        : null,
    ...(conf.totem.token !== undefined ? { tokenMs: conf.totem.token } : {}),
    ...(conf.totem.tokenCoefficient !== undefined ? { tokenCoefficientMs: conf.totem.tokenCoefficient } : {}),
  };
}

/**
 * Whether `next` should replace `current`: a higher config version wins; at the same version a
 * different nodelist or QDevice wins too (a hand edit that forgot to bump the version, read from the
 * member that has it), so the newest report is never ignored for a stale one.
 */
export function supersedes(next: ClusterModel, current: ClusterModel | null): boolean {
  if (!current) {
    return true;
  }
  if (next.configVersion !== null && current.configVersion !== null && next.configVersion !== current.configVersion) {
    return next.configVersion > current.configVersion;
  }
  return modelKey(next) !== modelKey(current);
}

function modelKey(m: ClusterModel): string {
  return JSON.stringify({
    nodes: m.nodes,
    qdevice: m.qdevice,
    token: m.tokenMs ?? null,
    coefficient: m.tokenCoefficientMs ?? null,
  });
}
