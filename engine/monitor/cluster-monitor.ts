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
import { leftNotice, noticesBetween } from './notices';

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

/**
 * How long a departure waits for the leaving node's own agent before it is called "lost". On a clean
 * stop (`corosync-cfgtool -H`) the survivors' ring without the node comes first and the node's own
 * "corosync stopped" can come seconds later: its agent's poll of `corosync-quorumtool` blocks while
 * corosync shuts down, up to the poll timeout (2 s) plus one poll interval (200 ms). Calling the node
 * "lost" in that window is a false warning (seen in CI: 1.1 s late). The wait only applies while the
 * node's last view still lists the survivors, that is while its agent has said nothing since the
 * ring changed; a node whose agent answers otherwise (its own ring, unreachable) is lost at once.
 */
export const DEPARTURE_WAIT_MS = 3000;

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
  /** "node-lost" notices held until the node's own agent tells left from lost (DEPARTURE_WAIT_MS). */
  const held = new Map<string, { notice: Notice; until: number }>();

  /** The node's own agent has said nothing since it left `members`: its last view still lists them. */
  const unheard = (node: string, members: readonly string[]): boolean => {
    const v = views.get(node);
    return v !== undefined && v.stopped !== true && v.members.some((m) => m !== node && members.includes(m));
  };

  /** Held departures the node's agent (or the clock) has now decided: "left" if it says stopped. */
  const decideHeld = (t: number): Notice[] => {
    const out: Notice[] = [];
    for (const [node, h] of held) {
      const stopped = views.get(node)?.stopped === true;
      if (!stopped && unheard(node, settled.members) && !settled.members.includes(node) && t < h.until) {
        continue;
      }
      held.delete(node);
      const notice = stopped
        ? leftNotice({ cluster: h.notice.cluster, at: t, seenAt: h.notice.seenAt }, node)
        : { ...h.notice, at: t };
      out.push(notice);
    }
    return inMaintenanceWords(out);
  };

  /** A node the user took down on purpose is news of maintenance, not an alarm. */
  const inMaintenanceWords = (notices: Notice[]): Notice[] =>
    options.inMaintenance ? maintenanceNotices(notices, options.inMaintenance) : notices;

  const waitFor = (h: ClusterHealth): number =>
    h.quorate === false && settled.quorate !== false ? Math.max(settleMs, lossSettleMs ?? LOSS_SETTLE_MS) : settleMs;

  const evaluate = (): Notice[] => {
    const t = now();
    // Words held back from an earlier change go out before the news of this one.
    return [...decideHeld(t), ...settle(t)];
  };

  const settle = (t: number): Notice[] => {
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
    const after = candidate.health;
    // The health settles at once (the dashboard shows the node gone); only the word for how it went
    // waits. A held node back before its agent spoke: its "lost" goes out first, then "is back".
    const words = noticesBetween(settled, after, t, candidate.firstSeen, (n) => everMember.has(n)).flatMap((n) => {
      if (n.kind === 'node-lost' && n.node !== undefined && unheard(n.node, after.members)) {
        held.set(n.node, { notice: n, until: t + DEPARTURE_WAIT_MS });
        return [];
      }
      const h = n.kind === 'node-joined' && n.node !== undefined ? held.get(n.node) : undefined;
      if (h && n.node !== undefined) {
        held.delete(n.node);
        return [{ ...h.notice, at: t }, n];
      }
      return [n];
    });
    const notices = inMaintenanceWords(words);
    settled = after;
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
    nextDueAt: () => {
      const due = [...held.values()].map((h) => h.until);
      if (candidate) {
        due.push(candidate.since + waitFor(candidate.health));
      }
      return due.length > 0 ? Math.min(...due) : undefined;
    },
    health: () => settled,
    current: () => clusterHealth(cluster, counted()),
    cluster: () => cluster,
  };
}
