/**
 * Cluster health from what each node's agent last reported (its own corosync's view). Pure: the
 * same views always give the same health. Which partition counts: the quorate one with the most
 * members, because that is the side the cluster's work continues on (votequorum gives quorum to at
 * most one side).
 */

/** One node's view of the cluster, as its agent's quorum stream reports it. */
export interface QuorumView {
  /** The node whose corosync this view comes from (its name in the nodelist). */
  readonly reporter: string;
  /** `Quorate: Yes` in `corosync-quorumtool -s` on that node. */
  readonly quorate: boolean;
  /** Node names in that node's current membership (itself included). */
  readonly members: readonly string[];
  /** QDevice as that node sees it; absent when the node reports none. */
  readonly qdevice?: {
    /** Flag A: qdevice daemon connected to corosync on this node. */
    readonly alive: boolean;
    /** Flag V: qnetd gave this node's partition the QDevice vote. */
    readonly vote: boolean;
  };
}

/** A cluster as the monitor knows it from the app's state. */
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
  /** Members of the partition that counts, sorted. */
  readonly members: readonly string[];
  /** Nodes of the nodelist outside that partition, sorted. */
  readonly missing: readonly string[];
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
  if (views.length === 0) {
    return {
      cluster: cluster.name,
      state: 'unknown',
      quorate: undefined,
      members: [],
      missing: [],
      qdevice: cluster.qdevice ? 'unreachable' : 'none',
    };
  }
  const fresh = withoutStaleViews(views);
  const quorate = fresh.filter((v) => v.quorate);
  const best = pickLargest(quorate.length > 0 ? quorate : fresh);
  const members = [...new Set(best.members)].sort();
  const missing = cluster.nodes.filter((n) => !members.includes(n)).sort();
  const qdevice = !cluster.qdevice ? 'none' : best.qdevice?.alive && best.qdevice.vote ? 'ok' : 'unreachable';
  const state: HealthState =
    quorate.length === 0 ? 'inquorate' : missing.length > 0 || qdevice === 'unreachable' ? 'degraded' : 'quorate';
  return { cluster: cluster.name, state, quorate: quorate.length > 0, members, missing, qdevice };
}

/**
 * Drops views contradicted by a member they list: if X's view has Y as a member but Y's own view
 * does not have X, X's view is older than Y's. This happens to a node that was cut off: its agent
 * stream cannot tell us anything new (the SSH connection goes through the cut too), so its last
 * view, "all of us together", stays until the stream times out. Two sides of a real partition do
 * not list each other, so neither is dropped.
 */
export function withoutStaleViews(views: readonly QuorumView[]): QuorumView[] {
  const byReporter = new Map(views.map((v) => [v.reporter, v]));
  const stale = (v: QuorumView): boolean =>
    v.members.some((m) => {
      const other = m === v.reporter ? undefined : byReporter.get(m);
      return other !== undefined && !other.members.includes(v.reporter);
    });
  const kept = views.filter((v) => !stale(v));
  // If every view contradicts another (a ring still forming), none is known to be older.
  return kept.length > 0 ? kept : [...views];
}

function pickLargest(views: readonly QuorumView[]): QuorumView {
  // Ties go to the lowest reporter name so the answer does not depend on arrival order.
  return [...views].sort((a, b) => b.members.length - a.members.length || a.reporter.localeCompare(b.reporter))[0]!;
}

/** Same health for notification purposes (what a user would see change). */
export function sameHealth(a: ClusterHealth, b: ClusterHealth): boolean {
  return (
    a.state === b.state &&
    a.quorate === b.quorate &&
    a.qdevice === b.qdevice &&
    a.members.join('\n') === b.members.join('\n') &&
    a.missing.join('\n') === b.missing.join('\n')
  );
}
