/**
 * Debounces a cluster's health into notices. Fed with agent views and "agent unreachable" events;
 * the clock is injected and there are no timers: the caller asks `nextDueAt()` and calls `poll()`
 * then (the shell in `service-watch.ts` does this with one timer). A change must hold for `settleMs`
 * before it becomes a notice, so a flap shorter than that (agents' reports arriving one by one, a
 * stream reconnecting) raises nothing; a change that reverts before it settles is forgotten. Losing
 * quorum must hold longer, for corosync's own settle time (`lossSettleMs`), because that is the one
 * notice that wakes people up: a view corosync has not settled yet is resolved within it.
 */
import type { ClusterHealth, QuorumView, WatchedCluster } from './health';
import { clusterHealth, sameHealth, withinNodelist } from './health';
import type { Notice } from './notices';
import { maintenanceNotices } from './maintenance-notices';
import { noticesBetween } from './notices';

/**
 * Default settle time. corosync has already waited its token timeout and consensus (seconds) before
 * it reports a membership change, so this only has to absorb the agents' reports arriving one by
 * one; it is kept small because the banner must show within 1 s of corosync's own log line.
 */
export const DEFAULT_SETTLE_MS = 300;

/**
 * corosync's own settle time: after a membership change its members do not all report the new ring
 * at once. In the recorded lab sequences (test/engine/monitor/sequences/, 4 nodes + QDevice) the
 * longest such window is 818 ms — in a 2|2 split the side without the QDevice vote reports its new
 * ring first while the quorate side still lists it — so "no reachable node is quorate" must hold
 * longer than that before quorum lost is raised. Kept well under corosync's token timeout, so a
 * real loss that lasts only a few seconds (cut, then healed) is still reported, and regained after it.
 */
export const LOSS_SETTLE_MS = 1500;

export interface ClusterMonitorOptions {
  readonly cluster: WatchedCluster;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly settleMs?: number;
  /** How long "no reachable node is quorate" must hold before quorum lost; default `LOSS_SETTLE_MS`. */
  readonly lossSettleMs?: number;
  /** Nodes the user took down on purpose: their departure is reported as maintenance, not an alarm. */
  readonly inMaintenance?: (node: string) => boolean;
}

export interface ClusterMonitor {
  /** One node's new view. Returns notices that became due now (usually none: changes settle first). */
  report(view: QuorumView): Notice[];
  /** The agent stream of `reporter` ended: its last view no longer counts. */
  unreachable(reporter: string): Notice[];
  /**
   * The nodelist or QDevice changed (corosync.conf read again from the members). Views of nodes
   * that left the nodelist are dropped.
   */
  setCluster(cluster: WatchedCluster, lossSettleMs?: number): Notice[];
  /** Notices whose settle time has passed by `now()`. */
  poll(): Notice[];
  /** When `poll()` next has something to do, or `undefined` when nothing is pending. */
  nextDueAt(): number | undefined;
  /** The last settled health (what the dashboard and tray show). */
  health(): ClusterHealth;
  /** The health from the latest views, before debouncing. */
  current(): ClusterHealth;
  /** The cluster as last set. */
  cluster(): WatchedCluster;
}

/** A monitor for one cluster, starting in state `unknown` (no agent has reported). */
export function createClusterMonitor(options: ClusterMonitorOptions): ClusterMonitor {
  const { now } = options;
  let cluster = options.cluster;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  let lossSettleMs = options.lossSettleMs;
  const views = new Map<string, QuorumView>();
  /** Nodes whose corosync was seen stopped or starting and has listed no peer since (health.ts). */
  const starting = new Set<string>();
  const counted = (): QuorumView[] =>
    [...views.values()].map((v) => (starting.has(v.reporter) ? { ...v, starting: true } : v));
  let settled = clusterHealth(cluster, []);
  /** Nodes seen in a settled membership since the monitor started: "is back" rather than "joined". */
  const everMember = new Set<string>();
  let candidate: { health: ClusterHealth; since: number; firstSeen: number } | undefined;

  const waitFor = (h: ClusterHealth): number =>
    h.quorate === false && settled.quorate !== false ? Math.max(settleMs, lossSettleMs ?? LOSS_SETTLE_MS) : settleMs;

  const evaluate = (): Notice[] => {
    const t = now();
    const current = clusterHealth(cluster, counted());
    if (sameHealth(current, settled)) {
      candidate = undefined;
      return [];
    }
    if (!candidate || !sameHealth(candidate.health, current)) {
      // A different change restarts the wait, but keeps when the first change was seen, so the
      // notice can say how long the cluster has been in trouble.
      candidate = { health: current, since: t, firstSeen: candidate?.firstSeen ?? t };
      if (waitFor(current) > 0) {
        return [];
      }
    }
    if (t - candidate.since < waitFor(candidate.health)) {
      return [];
    }
    const between = noticesBetween(settled, candidate.health, t, candidate.firstSeen, (n) => everMember.has(n));
    const notices = options.inMaintenance ? maintenanceNotices(between, options.inMaintenance) : between;
    settled = candidate.health;
    for (const n of settled.members) {
      everMember.add(n);
    }
    candidate = undefined;
    return notices;
  };

  return {
    report(view) {
      if (!cluster.nodes.includes(view.reporter)) {
        return [];
      }
      if (view.stopped === true || view.members.length === 0) {
        starting.add(view.reporter);
      } else if (view.members.some((m) => m !== view.reporter)) {
        starting.delete(view.reporter);
      }
      views.set(view.reporter, view);
      return evaluate();
    },
    unreachable(reporter) {
      views.delete(reporter);
      return evaluate();
    },
    setCluster(next, loss) {
      cluster = next;
      lossSettleMs = loss ?? lossSettleMs;
      settled = withinNodelist(settled, next);
      for (const reporter of [...views.keys()]) {
        if (!next.nodes.includes(reporter)) {
          views.delete(reporter);
          starting.delete(reporter);
        }
      }
      return evaluate();
    },
    poll: evaluate,
    nextDueAt: () => (candidate ? candidate.since + waitFor(candidate.health) : undefined),
    health: () => settled,
    current: () => clusterHealth(cluster, counted()),
    cluster: () => cluster,
  };
}
