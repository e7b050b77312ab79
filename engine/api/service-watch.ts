/**
 * Watching clusters: one `quorum.watch` stream per node's agent (over SSH stream-local forwarding),
 * fed into a debouncing monitor per cluster (`engine/monitor`); its notices become `onDidNotify` and
 * `onDidAddTimelineEntry` events (the persisted timeline and the notices a reloaded window shows
 * again are the history's, engine/api/history.ts, which listens to these events). Streams that
 * end are retried with a growing pause; the monitor counts that node's agent as unreachable meanwhile.
 * The same events carry each node's link state, which becomes `ClusterStatus.links`, and (agent
 * 0.4.0) corosync.conf whenever the running config_version or the ring changes: the cluster's live
 * model (`engine/monitor/cluster-model.ts`). The nodelist and QDevice every screen shows come from
 * that model, not from the registry, and streams open or close as nodes join or leave the nodelist.
 * The registry only maps node names to machines (and is re-read on `refresh()`).
 */
import { AgentClient } from '../agent/client';
import type { QuorumStatusFact, QuorumWatchEvent } from '../agent/protocol';
import { AGENT_SOCKET_PATH } from '../bootstrap/scripts';
import type { ClusterMonitor, ExpectedSeen, Notice as MonitorNotice, WatchedCluster } from '../monitor';
import { canLoseNow } from '../model';
import {
  createClusterMonitor,
  expectedRestoredNotice,
  linkPairsFromEvents,
  modelFromConfig,
  supersedes,
  viewFromQuorumEvent,
  type ClusterModel,
} from '../monitor';
import { loadMarksSync } from '../ops/maintenance-marks.fs';
import type { ClusterRecord } from '../ops/registry.fs';
import { clustersUsingMachine, listClusters } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { ClusterStatus, NodeStatus, Notice, QuorateApi, TimelineEntry } from './contract';
import type { EventHub } from './event-hub';
import type { MachinesService } from './service-machines';

/** One open quorum stream; `done` resolves when it ends for any reason. */
export interface QuorumStream {
  readonly done: Promise<unknown>;
  close(): void;
}

export type OpenQuorumStream = (
  machine: string,
  onEvent: (event: QuorumWatchEvent) => void,
) => Promise<Result<QuorumStream>>;

export interface WatchDeps {
  readonly home: string;
  readonly events: EventHub;
  readonly machines: MachinesService;
  readonly now: () => number;
  readonly settleMs?: number;
  /** Default: SSH session → agent socket → `quorum.watch`. */
  readonly openStream?: OpenQuorumStream;
  /** Timers are injected so tests run without real time; default setTimeout. */
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
  /**
   * The one-shot reader (`readClusterStatus`, engine/api/service-status.ts): the status shown until
   * the agents' streams have reported and settled, so a window opens on what corosync says now rather
   * than "unknown" (and a cluster without agents shows its status at all). Absent: streams only.
   */
  readonly snapshot?: (cluster: string) => Promise<Result<ClusterStatus>>;
  /** How long `clusterStatus` waits for that read before answering from the streams (ms, default 5000). */
  readonly snapshotWaitMs?: number;
}

/** The contract's Watch members, plus the service's own lifecycle. */
export interface WatchService extends Pick<QuorateApi, 'listClusters' | 'clusterStatus'> {
  /** Starts streams for clusters (new ones after an operation) that are not watched yet. */
  refresh(): Promise<void>;
  /** The cluster a machine is a node or the QDevice host of. */
  clusterOf(address: string, port?: number): Promise<string | null>;
  dispose(): void;
}

interface Watched {
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
function watchedCluster(w: Pick<Watched, 'record' | 'model'>): WatchedCluster {
  return w.model
    ? { name: w.record.name, nodes: w.model.nodes.map((n) => n.name), qdevice: w.model.qdevice !== null }
    : { name: w.record.name, nodes: Object.keys(w.record.nodes), qdevice: w.record.qnetd !== undefined };
}

/** The agent polls corosync this often (ms): part of the notification delay budget of 1 s. */
const WATCH_INTERVAL_MS = 200;

export function createWatchService(deps: WatchDeps): WatchService {
  const watched = new Map<string, Watched>();
  const expectedSeen = new Map<string, ExpectedSeen>();
  const setTimer =
    deps.setTimer ??
    ((fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    });
  const openStream = deps.openStream ?? defaultOpenStream(deps.machines);
  let disposed = false;
  /** Addresses of the machines added to Quorate, for nodes the registry does not map (added elsewhere). */
  let machineAddresses: readonly string[] = [];

  const machineOf = (w: Watched, node: string): string | null => {
    const mapped = w.record.nodes[node];
    if (mapped) {
      return mapped;
    }
    const addresses = w.model?.nodes.find((n) => n.name === node)?.addresses ?? [];
    return machineAddresses.find((m) => addresses.includes(m.replace(/:\d+$/, ''))) ?? null;
  };

  const statusOf = (w: Watched): ClusterStatus => {
    if (w.snapshot && w.monitor.health().state !== 'unknown') {
      w.snapshot = undefined;
    }
    return withMaintenance(
      w.snapshot ?? buildStatus(w, deps.now(), (n) => machineOf(w, n)),
      loadMarksSync(deps.home, w.record.name),
    );
  };

  /**
   * While no stream has reported: the one-shot read (waited for up to `snapshotWaitMs`; a slower one
   * is published as `onDidChangeQuorum` when it arrives, if the streams still have not settled).
   */
  const readSnapshot = async (w: Watched): Promise<void> => {
    const snapshot = deps.snapshot;
    if (!snapshot || w.latest.size > 0 || disposed) {
      return;
    }
    w.reading ??= snapshot(w.record.name)
      .then((r) => {
        if (r.ok && !disposed && w.monitor.health().state === 'unknown') {
          w.snapshot = r.value;
          deps.events.emit('onDidChangeQuorum', { cluster: w.record.name, status: statusOf(w) });
        }
      })
      .catch(() => {
        // A damaged registry or an SSH failure: the streams' status stands.
      })
      .finally(() => {
        w.reading = undefined;
      });
    let cancel: (() => void) | undefined;
    await Promise.race([
      w.reading,
      new Promise<void>((resolve) => {
        cancel = setTimer(resolve, deps.snapshotWaitMs ?? 5_000);
      }),
    ]);
    cancel?.();
  };

  /** Streams for exactly the nodes of the cluster that have a machine. */
  const reconcile = (w: Watched): void => {
    const want = new Map<string, string>();
    for (const node of watchedCluster(w).nodes) {
      const machine = machineOf(w, node);
      if (machine) {
        want.set(node, machine);
      }
    }
    for (const [node, s] of [...w.streams]) {
      if (want.get(node) !== s.machine) {
        s.stop();
        w.streams.delete(node);
        w.latest.delete(node);
      }
    }
    for (const [node, machine] of want) {
      if (!w.streams.has(node) && !disposed) {
        w.streams.set(node, { machine, stop: watchNode(w, node, machine) });
      }
    }
  };

  /** A member reported corosync.conf: a newer one becomes the model the monitor and screens use. */
  const adoptConfig = (w: Watched, event: QuorumWatchEvent): void => {
    const model = event.config ? modelFromConfig(event.config) : null;
    if (!model || !supersedes(model, w.model)) {
      return;
    }
    w.model = model;
    publish(w, w.monitor.setCluster(watchedCluster(w)));
    reconcile(w);
  };

  const publish = (w: Watched, monitorNotices: MonitorNotice[]): void => {
    const status = statusOf(w);
    const restored = trackExpected(expectedSeen, status, deps.now());
    const notices = restored ? [...monitorNotices, restored] : monitorNotices;
    for (const n of notices) {
      const notice: Notice = {
        kind: n.kind,
        cluster: n.cluster,
        at: n.at,
        severity: n.severity,
        title: n.title,
        body: n.body,
        guidance: n.guidance,
        ...(n.node ? { node: n.node } : {}),
      };
      const entry: TimelineEntry = { cluster: n.cluster, at: n.at, severity: n.severity, text: n.title };
      deps.events.emit('onDidNotify', notice);
      deps.events.emit('onDidAddTimelineEntry', entry);
    }
    deps.events.emit('onDidChangeQuorum', { cluster: w.record.name, status });
    schedule(w);
  };

  const schedule = (w: Watched): void => {
    w.cancelTimer?.();
    w.cancelTimer = undefined;
    const due = w.monitor.nextDueAt();
    if (due === undefined || disposed) {
      return;
    }
    w.cancelTimer = setTimer(() => publish(w, w.monitor.poll()), Math.max(0, due - deps.now()));
  };

  const watchNode = (w: Watched, node: string, machine: string): (() => void) => {
    let stopped = false;
    let current: QuorumStream | undefined;
    let cancelRetry: (() => void) | undefined;
    let pause = 1_000;
    const loop = async (): Promise<void> => {
      if (stopped || disposed) {
        return;
      }
      const opened = await openStream(machine, (event) => {
        if (stopped) {
          return;
        }
        pause = 1_000;
        w.latest.set(node, event);
        adoptConfig(w, event);
        for (const m of event.status?.members ?? []) {
          w.known.set(m.name, { nodeid: m.nodeid, votes: m.votes });
        }
        publish(w, w.monitor.report(viewFromQuorumEvent(node, event)));
      });
      if (opened.ok) {
        current = opened.value;
        await opened.value.done;
        current = undefined;
      }
      if (stopped || disposed) {
        return;
      }
      w.latest.delete(node);
      publish(w, w.monitor.unreachable(node));
      cancelRetry = setTimer(() => void loop(), pause);
      pause = Math.min(pause * 2, 10_000);
    };
    void loop();
    return () => {
      stopped = true;
      cancelRetry?.();
      current?.close();
    };
  };

  /**
   * Re-reads the registry: new clusters get watched, removed ones stop, and a changed record (a node
   * Quorate joined or removed, a QDevice set up) updates the node → machine map and the streams at
   * once, before the members' agents report the new corosync.conf.
   */
  const refresh = async (): Promise<void> => {
    const records = await listClusters(deps.home);
    try {
      const list = await deps.machines.listMachines();
      machineAddresses = list.ok ? list.value.map((m) => m.address) : machineAddresses;
    } catch {
      // No machine list (a test double): only the registry maps nodes to machines.
    }
    if (disposed) {
      return;
    }
    for (const record of records) {
      const w = watched.get(record.name);
      if (w) {
        if (JSON.stringify(w.record) !== JSON.stringify(record)) {
          w.record = record;
          if (!w.model) {
            publish(w, w.monitor.setCluster(watchedCluster(w)));
          }
          reconcile(w);
          deps.events.emit('onDidChangeQuorum', { cluster: record.name, status: statusOf(w) });
        }
        continue;
      }
      const fresh: Watched = {
        record,
        model: null,
        streams: new Map(),
        monitor: createClusterMonitor({
          cluster: watchedCluster({ record, model: null }),
          now: deps.now,
          ...(deps.settleMs !== undefined ? { settleMs: deps.settleMs } : {}),
          inMaintenance: (node) => loadMarksSync(deps.home, record.name).some((m) => m.node === node),
        }),
        latest: new Map(),
        known: new Map(),
      };
      watched.set(record.name, fresh);
      reconcile(fresh);
    }
    for (const [name, w] of [...watched]) {
      if (!records.some((r) => r.name === name)) {
        stopWatching(w);
        watched.delete(name);
      }
    }
  };

  const stopWatching = (w: Watched): void => {
    w.cancelTimer?.();
    for (const s of w.streams.values()) {
      s.stop();
    }
    w.streams.clear();
  };

  return {
    async listClusters() {
      await refresh();
      return ok(
        [...watched.values()].map((w) => {
          const c = watchedCluster(w);
          // The first snapshot's state while the streams have not settled (as `clusterStatus` shows).
          const state =
            w.monitor.health().state === 'unknown' && w.snapshot ? w.snapshot.state : w.monitor.health().state;
          return { name: c.name, state, nodes: c.nodes, hasQdevice: c.qdevice };
        }),
      );
    },
    async clusterStatus({ cluster }) {
      await refresh();
      const w = watched.get(cluster);
      if (!w) {
        return err(
          'clusters.unknown',
          `Quorate manages no cluster named ${cluster}.`,
          'Create it, or check the name in the cluster list.',
        );
      }
      await readSnapshot(w);
      return ok(statusOf(w));
    },
    refresh,
    async clusterOf(address, port) {
      return clustersUsingMachine(await listClusters(deps.home), address, port)[0] ?? null;
    },
    dispose() {
      disposed = true;
      for (const w of watched.values()) {
        stopWatching(w);
      }
      watched.clear();
    },
  };
}

/** Expected votes per cluster as last reported: a lowered figure raised back by corosync is news (issue 12 §4). */
function trackExpected(seen: Map<string, ExpectedSeen>, status: ClusterStatus, at: number): MonitorNotice | null {
  if (status.quorate === null || status.expectedVotes === 0) {
    return null;
  }
  const now = { expected: status.expectedVotes, nodeVotes: status.nodes.reduce((sum, n) => sum + n.votes, 0) };
  const notice = expectedRestoredNotice(status.name, seen.get(status.name), now, at);
  seen.set(status.name, now);
  return notice;
}

/** Nodes the user put in maintenance (issue 12 §2), as the dashboard shows them. */
function withMaintenance(status: ClusterStatus, marks: readonly { node: string }[]): ClusterStatus {
  if (marks.length === 0) {
    return status;
  }
  const inMaintenance = new Set(marks.map((m) => m.node));
  return { ...status, nodes: status.nodes.map((n) => (inMaintenance.has(n.name) ? { ...n, maintenance: true } : n)) };
}

function buildStatus(w: Watched, now: number, machineOf: (node: string) => string | null): ClusterStatus {
  const health = w.monitor.health();
  const current = w.monitor.current();
  // The reporter whose view the health used: a member of the counted partition with a live status.
  const reporter = current.members.find((m) => w.latest.get(m)?.status) ?? [...w.latest.keys()][0] ?? null;
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

/** SSH session to the node → the agent's root-only socket → `quorum.watch`. */
function defaultOpenStream(machines: MachinesService): OpenQuorumStream {
  return async (machine, onEvent) => {
    const session = await machines.connect(machine);
    if (!session.ok) {
      return session;
    }
    const socket = await session.value.forwardUnixSocket(AGENT_SOCKET_PATH);
    if (!socket.ok) {
      await session.value.close();
      return socket;
    }
    const client = new AgentClient(socket.value, session.value.label);
    const watch = client.watch({ intervalMs: WATCH_INTERVAL_MS }, onEvent);
    const done = watch.done.finally(() => {
      client.close();
      void session.value.close();
    });
    return ok({ done, close: () => client.close() });
  };
}
