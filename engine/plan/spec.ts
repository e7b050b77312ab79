/**
 * The cluster as Quorate plans it: the corosync.conf text (read from a member, or a new file in
 * pvecm's layout) with the values a plan reasons about read from it, plus the edits an operation
 * makes and the quorum arithmetic a plan shows. Reading and editing the file is engine/corosync's:
 * its edits are lossless (every line they are not about is kept, so hand edits survive) and each
 * bumps config_version.
 */
import { err, ok, type Result } from '../result';
import type { LinkNumber, QdeviceAlgorithm, TieBreaker, VotequorumConfig } from '../model/cluster';
import { qdeviceVotes, quorumSummary as modelSummary, type QuorumSummary } from '../model';
import {
  addLink,
  addNode,
  checkName,
  checkNewConf,
  parseConf,
  printConf,
  readConf,
  removeLink,
  removeNode,
  removeQdevice,
  renderNewConf,
  setNodeLinkAddress,
  setQdevice,
  setVotequorumOptions,
  toVotequorumConfig,
  type ConfDocument,
} from '../corosync';

export interface SpecNode {
  readonly name: string;
  readonly nodeid: number;
  /** ringX_addr per link. */
  readonly addresses: Partial<Record<LinkNumber, string>>;
  /** quorum_votes; default 1. */
  readonly votes?: number;
  /** The machine (as added to Quorate) that is this node; absent when unknown (read from a conf). */
  readonly machine?: string;
}

export interface SpecQdevice {
  /** Address of the qnetd host. */
  readonly host: string;
  readonly algorithm: QdeviceAlgorithm;
  readonly votes: number;
  /** Machine running corosync-qnetd. */
  readonly machine?: string;
  /** Kept from the file when present, so re-adding the QDevice around a membership change keeps them. */
  readonly tieBreaker?: TieBreaker;
  readonly port?: number;
  readonly tls?: 'on' | 'off' | 'required';
}

/** Values read from `conf` (with the machines Quorate knows added); the edits below change `conf` and read them again. */
export interface ClusterSpec {
  readonly name: string;
  /** `totem.config_version` (a uint64 in corosync; Quorate refuses one above 2^53). */
  readonly configVersion: number;
  readonly nodes: readonly SpecNode[];
  /** knet_link_priority per link (higher wins in passive mode). */
  readonly linkPriorities: Partial<Record<LinkNumber, number>>;
  readonly twoNode: boolean;
  readonly expectedVotes?: number;
  readonly lastManStanding: boolean;
  readonly autoTieBreaker: boolean;
  readonly qdevice?: SpecQdevice;
  /** The whole corosync.conf: what the `corosync` provider installs on every node. */
  readonly conf: string;
  /** What votequorum reads from `conf`: engine/model's arithmetic runs on this. */
  readonly votequorum: VotequorumConfig;
}

/** The machines known for a spec's nodes and QDevice, carried across edits (the file does not name them). */
interface Machines {
  readonly nodes: ReadonlyMap<string, string>;
  readonly qnetd?: string;
}

const machinesOf = (spec: ClusterSpec): Machines => ({
  nodes: new Map(spec.nodes.flatMap((n) => (n.machine ? [[n.name, n.machine] as const] : []))),
  ...(spec.qdevice?.machine ? { qnetd: spec.qdevice.machine } : {}),
});

/** The plan's view of a parsed file, from engine/corosync's typed view; refuses what Quorate cannot plan for. */
function fromDoc(doc: ConfDocument, machines: Machines): Result<ClusterSpec> {
  const conf = readConf(doc);
  const name = conf.totem.clusterName;
  if (name === undefined || conf.nodes.length === 0) {
    return err(
      'corosync.incomplete',
      'corosync.conf has no totem.cluster_name or no nodelist',
      'This file was not written for a knet cluster with a nodelist; recreate it.',
    );
  }
  // The name comes from a machine's file and becomes file names and a state key: refuse what cannot be one.
  const goodName = checkName('totem.cluster_name', name);
  if (!goodName.ok) {
    return goodName;
  }
  const version = conf.totem.configVersion ?? 0n;
  if (version > BigInt(Number.MAX_SAFE_INTEGER)) {
    return err(
      'corosync.config-version',
      `corosync.conf of ${name}: config_version ${version} is too large for Quorate`,
      'Lower config_version on every node together (with corosync stopped), or manage this cluster by hand.',
    );
  }
  const nodes: SpecNode[] = [];
  for (const n of conf.nodes) {
    if (n.name === undefined || n.nodeid === undefined) {
      return err(
        'corosync.incomplete',
        `corosync.conf of ${name}: a node without ${n.name === undefined ? 'name' : 'nodeid'} (${n.name ?? n.links[0] ?? 'no address'})`,
        'Give every node in the nodelist a name and a nodeid, as pvecm does.',
      );
    }
    const goodNode = checkName(`nodelist: node ${n.nodeid}: name`, n.name);
    if (!goodNode.ok) {
      return goodNode;
    }
    const machine = machines.nodes.get(n.name);
    nodes.push({
      name: n.name,
      nodeid: n.nodeid,
      addresses: n.links,
      ...(n.quorumVotes !== undefined ? { votes: n.quorumVotes } : {}),
      ...(machine ? { machine } : {}),
    });
  }
  const linkPriorities: Partial<Record<LinkNumber, number>> = {};
  for (const i of conf.totem.interfaces) {
    if (i.knetLinkPriority !== undefined) {
      linkPriorities[i.linknumber as LinkNumber] = i.knetLinkPriority;
    }
  }
  const q = conf.quorum;
  const votequorum = toVotequorumConfig(conf);
  const d = votequorum.qdevice;
  const qdevice: SpecQdevice | undefined = d && {
    host: d.host,
    algorithm: d.algorithm,
    votes: qdeviceVotes(votequorum),
    ...(machines.qnetd ? { machine: machines.qnetd } : {}),
    ...(q.device?.net?.tieBreaker !== undefined ? { tieBreaker: d.tieBreaker } : {}),
    ...(d.port !== undefined ? { port: d.port } : {}),
    ...(d.tls !== undefined ? { tls: d.tls } : {}),
  };
  return ok({
    name,
    configVersion: Number(version),
    nodes,
    linkPriorities,
    twoNode: q.twoNode ?? false,
    ...(q.expectedVotes !== undefined ? { expectedVotes: q.expectedVotes } : {}),
    lastManStanding: q.lastManStanding ?? false,
    autoTieBreaker: q.autoTieBreaker ?? false,
    ...(qdevice ? { qdevice } : {}),
    conf: printConf(doc),
    votequorum,
  });
}

/** Read a cluster's corosync.conf (machines unknown: the caller adds them from its registry). */
export function specFromConf(text: string): Result<ClusterSpec> {
  const doc = parseConf(text);
  return doc.ok ? fromDoc(doc.value, { nodes: new Map() }) : doc;
}

/** Parse the spec's file, apply `edit`, and read the result back with the machines of `spec` (plus `more`). */
function edit(
  spec: ClusterSpec,
  change: (doc: ConfDocument) => Result<ConfDocument>,
  more: Partial<Machines> = {},
): Result<ClusterSpec> {
  const doc = parseConf(spec.conf);
  if (!doc.ok) {
    return doc;
  }
  const changed = change(doc.value);
  if (!changed.ok) {
    return changed;
  }
  const m = machinesOf(spec);
  const qnetd = more.qnetd ?? m.qnetd;
  return fromDoc(changed.value, { nodes: new Map([...m.nodes, ...(more.nodes ?? [])]), ...(qnetd ? { qnetd } : {}) });
}

/**
 * One operation, one config_version: engine/corosync bumps config_version on every edit, so an
 * operation made of several edits (two joiners, a node and the QDevice) would skip versions. The
 * result gets `before`'s version + 1, however many edits made it.
 */
export function oneBump(before: ClusterSpec, r: Result<ClusterSpec>): Result<ClusterSpec> {
  if (!r.ok || r.value.configVersion <= before.configVersion + 1) {
    return r;
  }
  const want = before.configVersion + 1;
  const text = r.value.conf.replace(/^(\s*config_version\s*:\s*)\d+/m, `$1${want}`);
  const doc = parseConf(text);
  if (!doc.ok) {
    return doc;
  }
  return fromDoc(doc.value, machinesOf(r.value));
}

/** Links the cluster uses: those every node has an address for (link0 at least). */
export function specLinks(spec: ClusterSpec): LinkNumber[] {
  const first = spec.nodes[0];
  if (!first) {
    return [];
  }
  return (Object.keys(first.addresses).map(Number) as LinkNumber[]).sort();
}

/** Lowest free nodeid, as pvecm picks it. */
export function nextNodeId(spec: ClusterSpec): number {
  const used = new Set(spec.nodes.map((n) => n.nodeid));
  let id = 1;
  while (used.has(id)) {
    id++;
  }
  return id;
}

/**
 * two_node exactly for two nodes without a QDevice (corosync refuses it beside one, and with more
 * nodes it only implies wait_for_all). An edit only when the file says otherwise.
 */
function normaliseTwoNode(r: Result<ClusterSpec>): Result<ClusterSpec> {
  if (!r.ok) {
    return r;
  }
  const want = r.value.nodes.length === 2 && !r.value.qdevice;
  if (r.value.twoNode === want) {
    return r;
  }
  return edit(r.value, (doc) => setVotequorumOptions(doc, { two_node: want ? true : null }));
}

/** Start a new cluster from its nodes (nodeids 1..n in order), in the layout `pvecm create` writes. */
export function newSpec(
  name: string,
  nodes: readonly Omit<SpecNode, 'nodeid'>[],
  linkPriorities: Partial<Record<LinkNumber, number>> = {},
): Result<ClusterSpec> {
  const withIds = nodes.map((n, i) => ({ ...n, nodeid: i + 1 }));
  const links = [...new Set(withIds.flatMap((n) => Object.keys(n.addresses).map(Number) as LinkNumber[]))].sort();
  const options: Parameters<typeof renderNewConf>[0] = {
    clusterName: name,
    nodes: withIds.map((n) => ({
      name: n.name,
      nodeid: n.nodeid,
      links: n.addresses,
      ...(n.votes !== undefined ? { votes: n.votes } : {}),
    })),
    links: links.map((l) => ({
      linknumber: l,
      ...(linkPriorities[l] !== undefined ? { knetLinkPriority: linkPriorities[l] } : {}),
    })),
    twoNode: withIds.length === 2,
  };
  const checked = checkNewConf(options);
  if (!checked.ok) {
    return checked;
  }
  const doc = parseConf(renderNewConf(options));
  if (!doc.ok) {
    return doc;
  }
  return fromDoc(doc.value, {
    nodes: new Map(withIds.flatMap((n) => (n.machine ? [[n.name, n.machine] as const] : []))),
  });
}

/** Add nodes (lowest free nodeids), shaped like the existing node blocks. */
export function withNodes(spec: ClusterSpec, add: readonly Omit<SpecNode, 'nodeid'>[]): Result<ClusterSpec> {
  let s: Result<ClusterSpec> = ok(spec);
  for (const n of add) {
    if (!s.ok) {
      return s;
    }
    const nodeid = nextNodeId(s.value);
    s = edit(
      s.value,
      (doc) =>
        addNode(doc, {
          name: n.name,
          nodeid,
          links: n.addresses,
          ...(n.votes !== undefined ? { votes: n.votes } : {}),
        }),
      { nodes: new Map(n.machine ? [[n.name, n.machine]] : []) },
    );
  }
  return oneBump(spec, normaliseTwoNode(s));
}

export function withoutNode(spec: ClusterSpec, name: string): Result<ClusterSpec> {
  return oneBump(spec, normaliseTwoNode(edit(spec, (doc) => removeNode(doc, name))));
}

/**
 * Set a QDevice. engine/corosync also removes what corosync refuses beside one (two_node,
 * auto_tie_breaker, last_man_standing, allow_downscale) and names them in `removed` (`quorum.two_node`).
 */
export function withQdevice(
  spec: ClusterSpec,
  qdevice: SpecQdevice,
): Result<{ spec: ClusterSpec; removed: readonly string[] }> {
  let removed: readonly string[] = [];
  const r = edit(
    spec,
    (doc) => {
      const e = setQdevice(doc, {
        host: qdevice.host,
        algorithm: qdevice.algorithm,
        votes: qdevice.votes,
        tls: qdevice.tls ?? 'on',
        ...(qdevice.tieBreaker !== undefined ? { tieBreaker: qdevice.tieBreaker } : {}),
        ...(qdevice.port !== undefined ? { port: qdevice.port } : {}),
      });
      if (!e.ok) {
        return e;
      }
      removed = e.value.removed;
      return ok(e.value.doc);
    },
    qdevice.machine ? { qnetd: qdevice.machine } : {},
  );
  return r.ok ? ok({ spec: r.value, removed }) : r;
}

export function withoutQdevice(spec: ClusterSpec): Result<ClusterSpec> {
  return oneBump(spec, normaliseTwoNode(edit(spec, removeQdevice)));
}

/**
 * Add link `link` (every node needs an address), or change addresses of an existing one. A new
 * knet_link_priority on an existing link re-creates its interface block, which needs another link.
 */
export function withLink(
  spec: ClusterSpec,
  link: LinkNumber,
  addresses: Readonly<Record<string, string>>,
  priority?: number,
): Result<ClusterSpec> {
  const all = Object.fromEntries(spec.nodes.map((n) => [n.name, addresses[n.name] ?? n.addresses[link]!]));
  if (!specLinks(spec).includes(link)) {
    return edit(spec, (doc) =>
      addLink(doc, link, { addresses: all, ...(priority !== undefined ? { knetLinkPriority: priority } : {}) }),
    );
  }
  if (priority !== undefined && priority !== (spec.linkPriorities[link] ?? 0)) {
    if (specLinks(spec).length < 2) {
      return err(
        'ops.link-priority',
        `link${link} is the only link of ${spec.name}: knet_link_priority cannot be changed on it`,
        'Priorities choose between links; add a second link first (it can carry its own priority).',
      );
    }
    return oneBump(
      spec,
      edit(spec, (doc) => {
        const removed = removeLink(doc, link);
        return removed.ok ? addLink(removed.value, link, { addresses: all, knetLinkPriority: priority }) : removed;
      }),
    );
  }
  let s: Result<ClusterSpec> = ok(spec);
  for (const n of spec.nodes) {
    const a = addresses[n.name];
    if (!s.ok) {
      return s;
    }
    if (a !== undefined && a !== n.addresses[link]) {
      s = edit(s.value, (doc) => setNodeLinkAddress(doc, n.name, link, a));
    }
  }
  return oneBump(spec, s);
}

/** engine/model's summary of the spec's configuration (every node up, the QDevice voting). */
export function quorumSummary(spec: ClusterSpec): QuorumSummary {
  return modelSummary(spec.votequorum);
}
