/**
 * Cluster health from what each node's agent last reported (its own corosync's view). Pure: the
 * same views always give the same health.
 *
 * The rule, right by construction (issue 9 §2):
 * - a node's view counts only while that node is a member of some partition — corosync runs there
 *   and lists it in its own membership; a node with corosync stopped says nothing about the others;
 * - of two views that disagree about each other (one lists the other, which does not list it back),
 *   the one from the older ring is outdated: corosync's ring sequence only grows (totemsrp gives a
 *   new ring the highest sequence its members have seen plus 4), so the newer ring is the later truth.
 *   That drops the frozen "all of us" of a cut node whose SSH stream has not ended yet, and the
 *   isolated "just me" of a healed node whose catch-up report comes after its peers' merged view;
 * - except the view of a node whose corosync is starting (seen stopped or starting, no peer listed
 *   since): a starting corosync always commits a ring of its own first (totemsrp's singleton, with the
 *   highest sequence it has stored plus 4) and merges with its peers only afterwards. That newer ring
 *   says that this node has not merged yet, not that the others' ring is gone: their own corosync
 *   reports that, in their own views, once it notices (token timeout). So a node restarted by hand
 *   counts as out of the partition, but its one-node inquorate view never outvotes the quorate views
 *   of the others (recorded: sequences/restart-kill.json, 2.6 s of "just me" while the others still
 *   list it in their quorate ring);
 * - the cluster is quorate when some node in a quorate membership says so; the partition shown is
 *   that membership (votequorum gives quorum to at most one side);
 * - a node outside it is "stopped" when its own agent says corosync is not running (a clean stop:
 *   `corosync-cfgtool -H`, `systemctl stop corosync`), otherwise "lost" (cut, crashed, unreachable).
 */

/** One node's view of the cluster, as its agent's quorum stream reports it. */
export interface QuorumView {
  /** The node whose corosync this view comes from (its name in the nodelist). */
  readonly reporter: string;
  /** `Quorate: Yes` in `corosync-quorumtool -s` on that node. */
  readonly quorate: boolean;
  /** Node names in that node's current membership (itself included); empty when corosync is not running. */
  readonly members: readonly string[];
  /** The agent reached the node and corosync is not running there (absent: running, or unknown). */
  readonly stopped?: boolean;
  /**
   * This node's corosync was seen stopped or starting and has listed no peer since (set by the
   * monitor from the node's earlier views): its ring of its own is a start, not a split.
   */
  readonly starting?: boolean;
  /** `Ring ID:` as printed (`<representative nodeid>.<sequence, hex>`); absent when unknown. */
  readonly ringId?: string;
  /** QDevice as that node sees it; absent when the node reports none. */
  readonly qdevice?: {
    /** Flag A: qdevice daemon connected to corosync on this node. */
    readonly alive: boolean;
    /** Flag V: qnetd gave this node's partition the QDevice vote. */
    readonly vote: boolean;
  };
}

/** A cluster as the monitor knows it: from corosync.conf as its members hold it. */
export interface WatchedCluster {
  readonly name: string;
  /** Every node in the nodelist. */
  readonly nodes: readonly string[];
  /** `quorum.device` is configured. */
  readonly qdevice: boolean;
}

/** Worst first when sorted by `healthRank`: `inquorate` beats `unknown` beats `degraded` beats `quorate`. */
export type HealthState = 'quorate' | 'degraded' | 'unknown' | 'inquorate';

export interface ClusterHealth {
  readonly cluster: string;
  readonly state: HealthState;
  /** `undefined` when no agent reports (state `unknown`). */
  readonly quorate: boolean | undefined;
  /** The nodelist this health was computed for, sorted. */
  readonly nodes: readonly string[];
  /** Members of the partition that counts, sorted. */
  readonly members: readonly string[];
  /** Nodes of the nodelist outside that partition, sorted. */
  readonly missing: readonly string[];
  /** The part of `missing` whose own agent says corosync is stopped there (a clean stop), sorted. */
  readonly stopped: readonly string[];
  readonly qdevice: 'none' | 'ok' | 'unreachable';
}

const rank: Record<HealthState, number> = { quorate: 0, degraded: 1, unknown: 2, inquorate: 3 };

/** Higher is worse; for the tray's "worst state across clusters". */
export function healthRank(state: HealthState): number {
  return rank[state];
}

/** The worst state of several clusters; `quorate` for none (nothing to worry about). */
export function worstState(healths: readonly { readonly state: HealthState }[]): HealthState {
  let worst: HealthState = 'quorate';
  for (const h of healths) {
    if (rank[h.state] > rank[worst]) {
      worst = h.state;
    }
  }
  return worst;
}

/** Health of `cluster` from the latest view of every node whose agent is currently reachable. */
export function clusterHealth(cluster: WatchedCluster, views: readonly QuorumView[]): ClusterHealth {
  const nodes = [...cluster.nodes].sort();
  const inList = views.filter((v) => cluster.nodes.includes(v.reporter));
  if (inList.length === 0) {
    return {
      cluster: cluster.name,
      state: 'unknown',
      quorate: undefined,
      nodes,
      members: [],
      missing: [],
      stopped: [],
      qdevice: cluster.qdevice ? 'unreachable' : 'none',
    };
  }
  const stoppedNodes = new Set(inList.filter((v) => v.stopped === true).map((v) => v.reporter));
  const counting = currentViews(inList);
  const quorateViews = counting.filter((v) => v.quorate);
  const best =
    quorateViews.length > 0 ? pickPartition(quorateViews) : counting.length > 0 ? pickPartition(counting) : undefined;
  // A node whose own agent says corosync stopped is out, even if a peer has not noticed yet; so is
  // a starting node still in a ring of its own, which a peer's older ring may still list.
  const alone = new Set(inList.filter((v) => startingAlone(v) && v !== best).map((v) => v.reporter));
  const members = [...new Set(best?.members ?? [])]
    .filter((m) => cluster.nodes.includes(m) && !stoppedNodes.has(m) && !alone.has(m))
    .sort();
  const missing = nodes.filter((n) => !members.includes(n));
  const stopped = missing.filter((n) => stoppedNodes.has(n));
  const quorate = quorateViews.length > 0;
  const qdevice = !cluster.qdevice ? 'none' : best?.qdevice?.alive && best.qdevice.vote ? 'ok' : 'unreachable';
  const state: HealthState = !quorate
    ? 'inquorate'
    : missing.length > 0 || qdevice === 'unreachable'
      ? 'degraded'
      : 'quorate';
  return { cluster: cluster.name, state, quorate, nodes, members, missing, stopped, qdevice };
}

/**
 * A settled health seen through a changed corosync.conf: a node taken out of the nodelist is no
 * longer missing, a QDevice taken out is no longer unreachable. A configuration change is not a
 * membership flap, so it waits for no settle time; otherwise the dashboard of a cluster that just
 * lost a node by `remove` says "degraded" for that long. Members are left alone (a member taken off
 * the nodelist is still reported as it leaves), and a node added stays for the views to report.
 */
export function withinNodelist(h: ClusterHealth, c: WatchedCluster): ClusterHealth {
  const keep = (n: string): boolean => c.nodes.includes(n);
  const missing = h.missing.filter(keep);
  const qdevice = c.qdevice ? h.qdevice : 'none';
  const state: HealthState =
    h.state === 'unknown' || h.state === 'inquorate'
      ? h.state
      : missing.length > 0 || qdevice === 'unreachable'
        ? 'degraded'
        : 'quorate';
  return { ...h, nodes: h.nodes.filter(keep), missing, stopped: h.stopped.filter(keep), qdevice, state };
}

/**
 * The views that count: each from a node that is a member of its own partition, minus the views an
 * other counted view shows to be outdated (see the module comment). Without ring ids on both sides
 * (older agents, hand-made views) the one that lists a peer that does not list it back is the outdated
 * one: a cut node's frozen "all of us" is what this catches.
 */
export function currentViews(views: readonly QuorumView[]): QuorumView[] {
  const inPartition = views.filter((v) => v.stopped !== true && v.members.includes(v.reporter));
  const byReporter = new Map(inPartition.map((v) => [v.reporter, v]));
  const outdated = (v: QuorumView): boolean => {
    for (const other of inPartition) {
      // A starting node's ring of its own outdates no one (see the module comment).
      if (other === v || startingAlone(other) || !disagree(v, other)) {
        continue;
      }
      const order = compareRings(v.ringId, other.ringId);
      if (order !== undefined && order !== 0) {
        if (order < 0) {
          return true;
        }
        continue;
      }
      // Same or unknown ring order: v lists `other` but `other` does not list v → v is the stale one.
      if (v.members.includes(other.reporter) && !other.members.includes(v.reporter)) {
        return true;
      }
    }
    return false;
  };
  const kept = inPartition.filter((v) => !outdated(v));
  // If every view is outdated by another (a ring still forming), none is known to be older.
  return kept.length > 0 || byReporter.size === 0 ? kept : inPartition;
}

/** The view of a starting corosync that is still in a ring of its own. */
function startingAlone(v: QuorumView): boolean {
  return v.starting === true && v.members.length === 1 && v.members[0] === v.reporter;
}

/** Two views disagree when one lists the other's reporter and their memberships differ. */
function disagree(a: QuorumView, b: QuorumView): boolean {
  if (!a.members.includes(b.reporter) && !b.members.includes(a.reporter)) {
    return false;
  }
  return [...a.members].sort().join('\n') !== [...b.members].sort().join('\n');
}

/** Ring sequence (the hex part after the dot) as a bigint; undefined when it cannot be read. */
export function ringSequence(ringId: string | undefined): bigint | undefined {
  const m = ringId ? /^[0-9a-f]+\.([0-9a-f]+)$/i.exec(ringId.trim()) : null;
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

/** <0: ring a is older than b; >0: newer; 0: same sequence; undefined: unknown. */
export function compareRings(a: string | null | undefined, b: string | null | undefined): number | undefined {
  const x = ringSequence(a ?? undefined);
  const y = ringSequence(b ?? undefined);
  if (x === undefined || y === undefined) {
    return undefined;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The newest ring, then the most members, then the lowest reporter name (independent of arrival order). */
function pickPartition(views: readonly QuorumView[]): QuorumView {
  return [...views].sort(
    (a, b) =>
      -(compareRings(a.ringId, b.ringId) ?? 0) ||
      b.members.length - a.members.length ||
      a.reporter.localeCompare(b.reporter),
  )[0]!;
}

/** Same health for notification purposes (what a user would see change). */
export function sameHealth(a: ClusterHealth, b: ClusterHealth): boolean {
  return (
    a.state === b.state &&
    a.quorate === b.quorate &&
    a.qdevice === b.qdevice &&
    a.nodes.join('\n') === b.nodes.join('\n') &&
    a.members.join('\n') === b.members.join('\n') &&
    a.missing.join('\n') === b.missing.join('\n') &&
    a.stopped.join('\n') === b.stopped.join('\n')
  );
}
