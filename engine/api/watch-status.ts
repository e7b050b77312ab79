/**
 * What the watch service shows of one watched cluster, as pure functions over its state (no I/O):
 * the `ClusterStatus` built from the monitor's verdict, the agents' latest events and the live
 * model (buildStatus), the nodes in maintenance, the "expected votes raised back" notice, and the
 * cluster the monitor judges. Its own module so that service-watch.ts keeps the streams, timers and
 * events, and this arithmetic can be read (and tested) without them.
 */
import type { QuorumStatusFact, QuorumWatchEvent } from '../agent/protocol';
import type { ClusterMonitor, ExpectedSeen, Notice as MonitorNotice, WatchedCluster } from '../monitor';
import { canLoseNow } from '../model';
import { compareRings, expectedRestoredNotice, linkPairsFromEvents, type ClusterModel } from '../monitor';
import type { ClusterRecord } from '../ops/registry.fs';
import type { ClusterStatus, NodeStatus } from './contract';

/** One cluster the watch service follows: its streams, monitor and what they last reported. */
export interface Watched {
  record: ClusterRecord;
  /** corosync.conf as the members hold it (highest config_version reported); null until one reports. */
  model: ClusterModel | null;
  /** node name → the machine its stream goes to, and how to stop it. */
  readonly streams: Map<string, { readonly machine: string; readonly stop: () => void }>;
  readonly monitor: ClusterMonitor;
  /** Latest agent event per node name. */
  readonly latest: Map<string, QuorumWatchEvent>;
  /** nodeid and votes of every node ever seen in a membership: an offline node keeps its own. */
  readonly known: Map<string, { nodeid: number; votes: number }>;
  cancelTimer?: () => void;
  /** The one-shot read, shown until the monitor has settled on the streams' views. */
  snapshot?: ClusterStatus;
  /** That read while it runs (one at a time). */
  reading?: Promise<void>;
}

/** The cluster the monitor judges: the live model's nodelist and QDevice, else the registry's. */
export function watchedCluster(w: Pick<Watched, 'record' | 'model'>): WatchedCluster {
  return w.model
    ? { name: w.record.name, nodes: w.model.nodes.map((n) => n.name), qdevice: w.model.qdevice !== null }
    : { name: w.record.name, nodes: Object.keys(w.record.nodes), qdevice: w.record.qnetd !== undefined };
}

/** Expected votes per cluster as last reported: a lowered figure raised back by corosync is news (issue 12 §4). */
export function trackExpected(
  seen: Map<string, ExpectedSeen>,
  status: ClusterStatus,
  at: number,
): MonitorNotice | null {
  if (status.quorate === null || status.expectedVotes === 0) {
    return null;
  }
  const now = { expected: status.expectedVotes, nodeVotes: status.nodes.reduce((sum, n) => sum + n.votes, 0) };
  const notice = expectedRestoredNotice(status.name, seen.get(status.name), now, at);
  seen.set(status.name, now);
  return notice;
}

/** Nodes the user put in maintenance (issue 12 §2), as the dashboard shows them. */
export function withMaintenance(status: ClusterStatus, marks: readonly { node: string }[]): ClusterStatus {
  if (marks.length === 0) {
    return status;
  }
  const inMaintenance = new Set(marks.map((m) => m.node));
  return { ...status, nodes: status.nodes.map((n) => (inMaintenance.has(n.name) ? { ...n, maintenance: true } : n)) };
}

/**
 * The node whose status the figures (votes, quorum, can lose) come from: a member of the counted
 * partition whose own membership is that partition, newest ring first. Right after a join or a leave
 * the members' agents report the new ring one by one (one poll each), so the first member by name may
 * still hold the old ring: its figures (3 votes of 4 expected) beside the new membership (4 online)
 * would say "can lose 0" on a cluster that can lose one. Falls back to any member with a status.
 */
export function reporterOf(members: readonly string[], latest: ReadonlyMap<string, QuorumWatchEvent>): string | null {
  const withStatus = members.flatMap((name) => {
    const status = latest.get(name)?.status;
    return status ? [{ name, status }] : [];
  });
  const matching = withStatus.filter(
    ({ status }) => status.members.length === members.length && status.members.every((m) => members.includes(m.name)),
  );
  const newest = matching.sort(
    (a, b) => (compareRings(b.status.ringId, a.status.ringId) ?? 0) || a.name.localeCompare(b.name),
  );
  return newest[0]?.name ?? withStatus[0]?.name ?? [...latest.keys()][0] ?? null;
}

export function buildStatus(w: Watched, now: number, machineOf: (node: string) => string | null): ClusterStatus {
  const health = w.monitor.health();
  const current = w.monitor.current();
  const reporter = reporterOf(current.members, w.latest);
  const status: QuorumStatusFact | null = reporter ? (w.latest.get(reporter)?.status ?? null) : null;
  const byName = new Map(status?.members.map((m) => [m.name, m]) ?? []);
  const used = new Set([...w.known.values()].map((k) => k.nodeid));
  let spare = 0;
  // A node no agent has ever shown in a membership (down since Quorate started) has no nodeid we
  // know; it gets the lowest unused one so lists stay keyed uniquely — corosync.conf has the real one.
  const unknownId = (): number => {
    do {
      spare++;
    } while (used.has(spare));
    used.add(spare);
    return spare;
  };
  for (const n of w.model?.nodes ?? []) {
    if (n.nodeid > 0) {
      used.add(n.nodeid);
    }
  }
  const nodes: NodeStatus[] = watchedCluster(w).nodes.map((name) => {
    const m = byName.get(name) ?? w.known.get(name);
    const conf = w.model?.nodes.find((n) => n.name === name);
    return {
      name,
      nodeid: conf && conf.nodeid > 0 ? conf.nodeid : (m?.nodeid ?? unknownId()),
      votes: m?.votes ?? conf?.votes ?? 1,
      online: current.members.includes(name),
      machine: machineOf(name),
    };
  });
  const local = status?.members.find((m) => m.local);
  return {
    name: w.record.name,
    state: health.state,
    // A loss shows once it has held for corosync's settle time (the monitor's debounce), so a ring
    // still forming never flashes NOT quorate; everything else is the latest view.
    quorate: health.quorate === true && current.quorate === false ? true : (current.quorate ?? null),
    expectedVotes: status?.expectedVotes ?? 0,
    totalVotes: status?.totalVotes ?? 0,
    quorum: status?.quorum ?? 0,
    canLose: status ? canLoseNow(status) : 0,
    nodes,
    qdevice: w.model
      ? w.model.qdevice && {
          host: w.model.qdevice.host,
          algorithm: w.model.qdevice.algorithm,
          votes: status?.qdeviceVotes ?? w.model.qdevice.votes ?? 0,
          flags: (local?.qdeviceFlags ?? []).join(','),
        }
      : w.record.qnetd && status
        ? {
            host: w.record.qnetd.host,
            // ops configures ffsplit for even node counts and lms for odd ones (after consent).
            algorithm: Object.keys(w.record.nodes).length % 2 === 0 ? 'ffsplit' : 'lms',
            votes: status.qdeviceVotes ?? 0,
            flags: (local?.qdeviceFlags ?? []).join(','),
          }
        : null,
    // Each reachable node's own view of its knet links (corosync-cfgtool -s via its agent); no RTT.
    links: linkPairsFromEvents(w.latest, new Map([...w.known].map(([name, k]) => [k.nodeid, name]))),
    reporter,
    updatedAt: now,
  };
}
