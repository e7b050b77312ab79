/**
 * The cluster as Quorate plans it: plain data from which corosync.conf is rendered, plus the pure
 * edits an operation makes (every edit bumps `configVersion`) and the quorum arithmetic a plan shows.
 */
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';

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
}

export interface ClusterSpec {
  readonly name: string;
  readonly configVersion: number;
  readonly nodes: readonly SpecNode[];
  /** knet_link_priority per link (higher wins in passive mode). */
  readonly linkPriorities: Partial<Record<LinkNumber, number>>;
  readonly twoNode: boolean;
  readonly expectedVotes?: number;
  readonly lastManStanding: boolean;
  readonly autoTieBreaker: boolean;
  readonly qdevice?: SpecQdevice;
}

/** Links the cluster uses: those every node has an address for (link0 at least). */
export function specLinks(spec: ClusterSpec): LinkNumber[] {
  const first = spec.nodes[0];
  if (!first) return [];
  return (Object.keys(first.addresses).map(Number) as LinkNumber[]).sort();
}

/** Lowest free nodeid, as pvecm picks it. */
export function nextNodeId(spec: ClusterSpec): number {
  const used = new Set(spec.nodes.map((n) => n.nodeid));
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

/** two_node only makes sense for exactly two nodes and no QDevice (corosync refuses it beside one). */
function normaliseTwoNode(spec: ClusterSpec): ClusterSpec {
  return { ...spec, twoNode: spec.nodes.length === 2 && !spec.qdevice };
}

/** Start a new cluster from its nodes (nodeids 1..n in order). */
export function newSpec(name: string, nodes: readonly Omit<SpecNode, 'nodeid'>[], linkPriorities: Partial<Record<LinkNumber, number>> = {}): ClusterSpec {
  return normaliseTwoNode({
    name,
    configVersion: 1,
    nodes: nodes.map((n, i) => ({ ...n, nodeid: i + 1 })),
    linkPriorities,
    twoNode: false,
    lastManStanding: false,
    autoTieBreaker: false,
  });
}

export function withNodes(spec: ClusterSpec, add: readonly Omit<SpecNode, 'nodeid'>[]): ClusterSpec {
  let s = spec;
  for (const n of add) s = { ...s, nodes: [...s.nodes, { ...n, nodeid: nextNodeId(s) }] };
  return normaliseTwoNode({ ...s, configVersion: spec.configVersion + 1 });
}

export function withoutNode(spec: ClusterSpec, name: string): ClusterSpec {
  return normaliseTwoNode({ ...spec, nodes: spec.nodes.filter((n) => n.name !== name), configVersion: spec.configVersion + 1 });
}

/** Set a QDevice; clears what corosync refuses beside one (two_node, auto_tie_breaker, last_man_standing). */
export function withQdevice(spec: ClusterSpec, qdevice: SpecQdevice): ClusterSpec {
  return { ...spec, qdevice, twoNode: false, autoTieBreaker: false, lastManStanding: false, configVersion: spec.configVersion + 1 };
}

export function withoutQdevice(spec: ClusterSpec): ClusterSpec {
  const { qdevice: _q, ...rest } = spec;
  return normaliseTwoNode({ ...rest, configVersion: spec.configVersion + 1 });
}

export function withLink(spec: ClusterSpec, link: LinkNumber, addresses: Readonly<Record<string, string>>, priority?: number): ClusterSpec {
  return {
    ...spec,
    nodes: spec.nodes.map((n) => ({ ...n, addresses: { ...n.addresses, [link]: addresses[n.name] ?? n.addresses[link] } })),
    linkPriorities: priority === undefined ? spec.linkPriorities : { ...spec.linkPriorities, [link]: priority },
    configVersion: spec.configVersion + 1,
  };
}

/** QDevice votes as corosync defaults them: 1 for ffsplit; nodes − 1 for lms. */
export function qdeviceVotes(nodeCount: number, algorithm: QdeviceAlgorithm): number {
  return algorithm === 'lms' ? Math.max(1, nodeCount - 1) : 1;
}

export interface QuorumSummary {
  readonly expectedVotes: number;
  readonly quorum: number;
  /** How many nodes may fail (QDevice reachable) before the rest lose quorum. */
  readonly canLose: number;
}

/**
 * votequorum's arithmetic for a spec with every node up: quorum = ⌊expected/2⌋+1, except two_node (1).
 * canLose counts node failures while the QDevice keeps voting.
 */
export function quorumSummary(spec: ClusterSpec): QuorumSummary {
  const nodeVotes = spec.nodes.map((n) => n.votes ?? 1);
  const total = nodeVotes.reduce((a, b) => a + b, 0) + (spec.qdevice?.votes ?? 0);
  const expectedVotes = spec.expectedVotes ?? total;
  const quorum = spec.twoNode ? 1 : Math.floor(expectedVotes / 2) + 1;
  // Lose the heaviest nodes first: the worst case.
  const sorted = [...nodeVotes].sort((a, b) => b - a);
  let left = total;
  let canLose = 0;
  for (const v of sorted) {
    if (canLose === sorted.length - 1) break; // the last node standing is not "losing" the cluster
    if (left - v < quorum) break;
    left -= v;
    canLose++;
  }
  return { expectedVotes, quorum, canLose };
}
