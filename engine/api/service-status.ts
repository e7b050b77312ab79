/**
 * One status reader for both front doors: `readClusterStatus` reads the cluster once, now, from the
 * first member whose corosync answers (corosync.conf + `corosync-quorumtool -s` over the machine's
 * session — the same connect path as every operation, root or through sudo), and builds the
 * `ClusterStatus` the window shows, with the monitor's health rule over that one view.
 * `quorate status` prints it; the window's watch service uses it as its first snapshot until an
 * agent's stream reports (engine/api/service-watch.ts).
 *
 * No agent is asked. A one-shot read gets nothing from the agent that the SSH read does not: the
 * agent runs the same `corosync-quorumtool -s` through the same parser (`quorumStatusFact`), and
 * reaching it takes the same SSH session plus a socket forward. Without the agent the command works
 * on every cluster Quorate can operate on: agent not installed yet, an adopted cluster, an agent of
 * another version. Users expect `quorate status` to behave like `pvecm status`: it answers when
 * corosync does. The agents' streams are for watching (a poll every 200 ms over one session).
 */
import { quorumStatusFact } from '../agent/quorum-status';
import { canLoseNow } from '../model';
import { clusterHealth, viewFromQuorumEvent, type WatchedCluster } from '../monitor';
import { readLiveState, type LiveClusterState, type OpsContext } from '../ops/operations';
import { qdeviceFlags } from '../providers/qdevice-flags';
import { ok } from '../result';
import type { ClusterSnapshot, ClusterStatus, QuorateApi } from './contract';

/** What each QDevice flag in a status means (for the CLI's text; the window has its own words). */
export { QDEVICE_FLAG_MEANINGS } from '../providers/qdevice-flags';

export interface StatusDeps {
  /** Sessions to the members (the service's `opsContext()`). */
  readonly context: () => OpsContext;
  readonly now: () => number;
}

export type StatusService = Pick<QuorateApi, 'readClusterStatus'>;

export function createStatusService(deps: StatusDeps): StatusService {
  return {
    async readClusterStatus({ cluster }) {
      const state = await readLiveState(deps.context(), cluster);
      return state.ok ? ok(snapshotOf(state.value, deps.now())) : state;
    },
  };
}

/** A read → the status the window shows, plus where it was read. Pure. */
export function snapshotOf(state: LiveClusterState, now: number): ClusterSnapshot {
  const s = state.status;
  const { spec, record } = state;
  const members = new Map<number, { votes: number }>(s.members.map((m) => [m.nodeid, m]));
  const local = s.members.find((m) => m.local) ?? s.members[0];
  const names = spec.nodes.map((n) => n.name);
  // corosync says who it is (the local member); the registry's machine → node map otherwise.
  const reporter =
    (local && names.includes(local.name) ? local.name : undefined) ??
    Object.entries(record.nodes).find(([, machine]) => machine === state.readFrom)?.[0] ??
    null;
  const fact = quorumStatusFact(s);
  const cluster: WatchedCluster = { name: record.name, nodes: names, qdevice: spec.qdevice !== undefined };
  const health =
    fact && reporter
      ? clusterHealth(cluster, [
          viewFromQuorumEvent(reporter, { kind: 'quorum', at: now, running: true, status: fact }),
        ])
      : clusterHealth(cluster, []);
  return {
    name: record.name,
    clusterName: spec.name,
    readFrom: state.readFrom,
    state: health.state,
    quorate: s.quorate,
    expectedVotes: s.votequorum?.expectedVotes ?? 0,
    totalVotes: s.votequorum?.totalVotes ?? 0,
    quorum: s.votequorum?.quorum ?? 0,
    canLose: fact ? canLoseNow(fact) : 0,
    nodes: spec.nodes.map((n) => ({
      name: n.name,
      nodeid: n.nodeid,
      votes: members.get(n.nodeid)?.votes ?? n.votes ?? 1,
      online: members.has(n.nodeid),
      machine: record.nodes[n.name] ?? null,
    })),
    qdevice: spec.qdevice
      ? {
          host: spec.qdevice.host,
          algorithm: spec.qdevice.algorithm,
          votes: s.qdevice?.votes ?? 0,
          // As corosync-quorumtool prints them on the node read (`A,V,NMW`, `NR`); empty without a column.
          flags: qdeviceFlags(local?.qdevice).join(','),
        }
      : null,
    links: [],
    reporter,
    updatedAt: now,
  };
}

/** The snapshot as the window's `ClusterStatus` (without where it was read). */
export function statusOfSnapshot(snapshot: ClusterSnapshot): ClusterStatus {
  const { readFrom: _readFrom, clusterName: _clusterName, ...status } = snapshot;
  return status;
}
