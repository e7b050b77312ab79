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
 * The registry only maps node names to machines (and is re-read on `refresh()`). The status built
 * from all that is pure and lives in watch-status.ts; this file keeps the streams, timers and events.
 */
import { AgentClient } from '../agent/client';
import type { QuorumWatchEvent } from '../agent/protocol';
import { AGENT_SOCKET_PATH } from '../bootstrap/scripts';
import type { ExpectedSeen, Notice as MonitorNotice } from '../monitor';
import { createClusterMonitor, modelFromConfig, supersedes, viewFromQuorumEvent } from '../monitor';
import { loadMarksSync } from '../ops/maintenance-marks.fs';
import { clustersUsingMachine, listClusters } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { ClusterStatus, Notice, QuorateApi, TimelineEntry } from './contract';
import type { EventHub } from './event-hub';
import type { MachinesService } from './service-machines';
import { buildStatus, trackExpected, watchedCluster, withMaintenance, type Watched } from './watch-status';

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
