/**
 * Debounces a cluster's health into notices. Fed with agent views and "agent unreachable" events;
 * the clock is injected and there are no timers: the caller asks `nextDueAt()` and calls `poll()`
 * then (the shell in `watch.ts` does this with one timer). A change must hold for `settleMs` before
 * it becomes a notice, so a flap shorter than that (corosync reforming its ring, an agent stream
 * reconnecting) raises nothing; a change that reverts before it settles is forgotten.
 */
import type { ClusterHealth, QuorumView, WatchedCluster } from './health';
import { clusterHealth, sameHealth } from './health';
import type { Notice } from './notices';
import { noticesBetween } from './notices';

/**
 * Default settle time. corosync has already waited its token timeout and consensus (seconds) before
 * it reports a membership change, so this only has to absorb the agents' reports arriving one by
 * one; it is kept small because the banner must show within 1 s of corosync's own log line.
 */
export const DEFAULT_SETTLE_MS = 300;

export interface ClusterMonitorOptions {
  readonly cluster: WatchedCluster;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly settleMs?: number;
}

export interface ClusterMonitor {
  /** One node's new view. Returns notices that became due now (usually none: changes settle first). */
  report(view: QuorumView): Notice[];
  /** The agent stream of `reporter` ended: its last view no longer counts. */
  unreachable(reporter: string): Notice[];
  /** Notices whose settle time has passed by `now()`. */
  poll(): Notice[];
  /** When `poll()` next has something to do, or `undefined` when nothing is pending. */
  nextDueAt(): number | undefined;
  /** The last settled health (what the dashboard and tray show). */
  health(): ClusterHealth;
  /** The health from the latest views, before debouncing. */
  current(): ClusterHealth;
}

/** A monitor for one cluster, starting in state `unknown` (no agent has reported). */
export function createClusterMonitor(options: ClusterMonitorOptions): ClusterMonitor {
  const { cluster, now } = options;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const views = new Map<string, QuorumView>();
  let settled = clusterHealth(cluster, []);
  let candidate: { health: ClusterHealth; since: number; firstSeen: number } | undefined;

  const evaluate = (): Notice[] => {
    const t = now();
    const current = clusterHealth(cluster, [...views.values()]);
    if (sameHealth(current, settled)) {
      candidate = undefined;
      return [];
    }
    if (!candidate || !sameHealth(candidate.health, current)) {
      // A different change restarts the wait, but keeps when the first change was seen, so the
      // notice can say how long the cluster has been in trouble.
      candidate = { health: current, since: t, firstSeen: candidate?.firstSeen ?? t };
      if (settleMs > 0) {
        return [];
      }
    }
    if (t - candidate.since < settleMs) {
      return [];
    }
    const notices = noticesBetween(settled, candidate.health, t, candidate.firstSeen);
    settled = candidate.health;
    candidate = undefined;
    return notices;
  };

  return {
    report(view) {
      if (!cluster.nodes.includes(view.reporter)) {
        return [];
      }
      views.set(view.reporter, view);
      return evaluate();
    },
    unreachable(reporter) {
      views.delete(reporter);
      return evaluate();
    },
    poll: evaluate,
    nextDueAt: () => (candidate ? candidate.since + settleMs : undefined),
    health: () => settled,
    current: () => clusterHealth(cluster, [...views.values()]),
  };
}
