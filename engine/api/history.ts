/**
 * History: the timeline and the open notices, persisted in `$QUORATE_HOME/history.json`
 * (engine/store/history.fs.ts) so they survive a restart, plus what happened while Quorate was
 * closed, merged from the agents' own journals (`journal.read`).
 *
 * It listens to the engine's events rather than hooking the watch service: every `onDidNotify` is a
 * timeline entry and may open or close a notice; every `onDidChangeQuorum` closes notices the live
 * status contradicts (a node back online, quorum back) — so a banner restored after a restart is
 * dropped as soon as the cluster is seen healthy — and the first status of a cluster after start
 * merges its agents' journals. Agent times are the agents' clocks corrected by the offset measured
 * on that connection (NTP-style, engine/agent/clock.ts); the summary entry says so.
 * Writes are queued and never block the monitor; a write that fails (full or read-only folder)
 * keeps the entries in memory and says so at the top of the timeline.
 *
 * The pure rules over entries (notice keys, the agents' entries merged, the summary) are in
 * history-entries.ts; what stays here is one closure over the notices, the file and the events.
 */
import { join } from 'node:path';
import { AgentClient } from '../agent/client';
import type { AgentJournalEntry } from '../agent/event-journal';
import { AGENT_SOCKET_PATH } from '../bootstrap/scripts';
import { haNoticeOver } from '../ha/notice-over';
import { isOpId, type Journal } from '../ops/journal';
import { fileJournalStore } from '../ops/journal.fs';
import { loadCluster } from '../ops/registry.fs';
import { isDamagedFileError } from '../store/damaged';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { HistoryEntry, HistoryFile } from '../store';
import { emptyHistory, mergeEntries, readHistory, updateHistory } from '../store';
import type {
  ClusterStatus,
  HaChange,
  HistoryEvent,
  Notice,
  OperationJournalView,
  QuorateApi,
  TimelineEntry,
} from './contract';
import type { EventHub } from './event-hub';
import {
  CLOSES,
  mergeAgentEntries,
  noticeFromAgentEntry,
  noticeKey,
  OPENS,
  summarize,
  toTimelineEntry,
} from './history-entries';
import type { MachinesService } from './service-machines';

export { mergeAgentEntries, summarize } from './history-entries';

export interface AgentJournalRead {
  /** Agent clock minus desktop clock, ms, and its error bound. */
  readonly offsetMs: number;
  readonly errorBoundMs: number;
  readonly entries: readonly AgentJournalEntry[];
}

export type ReadAgentJournal = (machine: string) => Promise<Result<AgentJournalRead>>;

export interface HistoryDeps {
  readonly home: string;
  readonly events: EventHub;
  readonly now: () => number;
  /** Default: SSH session → agent socket → clock offset, then `journal.read`. */
  readonly readAgentJournal?: ReadAgentJournal;
  readonly machines?: MachinesService;
  /** Merge the agents' journals when a cluster's first status arrives (default true). */
  readonly mergeOnConnect?: boolean;
}

export interface HistoryService extends Pick<
  QuorateApi,
  'listTimeline' | 'listNotices' | 'listEvents' | 'readOperationJournal'
> {
  /** Reads every node's journal and merges what is new; resolves with the nodes that did not answer. */
  mergeAgentJournals(cluster: string): Promise<{ readonly added: number; readonly unreachable: readonly string[] }>;
  /** Resolves when everything recorded so far is on disk (or failed to be). */
  flushed(): Promise<void>;
  dispose(): void;
}

export function createHistoryService(deps: HistoryDeps): HistoryService {
  const { home, events, now } = deps;
  let file: HistoryFile = emptyHistory();
  let pending: HistoryEntry[] = [];
  let notices = new Map<string, Notice>();
  let saveError: string | null = null;
  let dirty = false;
  let flushing: Promise<void> = Promise.resolve();
  const seenStatus = new Set<string>();
  const latestStatus = new Map<string, ClusterStatus>();

  const loaded = readHistory(home).then((r) => {
    if (r.ok) {
      file = r.value;
      notices = new Map(Object.entries(r.value.notices) as [string, Notice][]);
    } else {
      saveError = r.error.message;
    }
  });

  const flush = (): void => {
    dirty = true;
    flushing = flushing.then(async () => {
      await loaded;
      if (!dirty) {
        return;
      }
      dirty = false;
      const adding = pending;
      const open = Object.fromEntries(notices);
      const seq = file.agentSeq;
      const r = await updateHistory(home, (h) => ({
        version: 1,
        entries: mergeEntries(h.entries, adding),
        notices: open,
        agentSeq: { ...h.agentSeq, ...seq },
      }));
      if (r.ok) {
        file = r.value;
        pending = pending.filter((e) => !adding.includes(e));
        saveError = null;
      } else {
        saveError = `${r.error.message} (${r.error.hint})`;
      }
    });
  };

  const allEntries = async (): Promise<HistoryEntry[]> => {
    await loaded;
    const disk = await readHistory(home);
    return mergeEntries(disk.ok ? disk.value.entries : file.entries, pending);
  };

  const add = (entry: HistoryEntry): void => {
    pending.push(entry);
    flush();
  };

  const applyNotice = (n: Notice): void => {
    const key = noticeKey(n.cluster, n.kind, n.node, n.resource);
    if (OPENS.has(n.kind)) {
      notices.set(key, n);
    } else if (CLOSES.has(n.kind)) {
      notices.delete(key);
      if (n.kind === 'node-joined') {
        notices.delete(noticeKey(n.cluster, 'ha-fencing-pending', n.node));
      }
    }
  };

  /** Drops open notices the live status shows are over. */
  const reconcile = (s: ClusterStatus): void => {
    let changed = false;
    for (const [key, n] of notices) {
      if (n.cluster !== s.name) {
        continue;
      }
      const over =
        (n.kind === 'quorum-lost' && s.quorate === true) ||
        ((n.kind === 'node-left' || n.kind === 'node-lost') && s.nodes.some((x) => x.name === n.node && x.online)) ||
        (n.kind === 'qdevice-unreachable' && (s.qdevice?.votes ?? 0) > 0);
      if (over) {
        notices.delete(key);
        changed = true;
      }
    }
    if (changed) {
      flush();
    }
  };

  /** Drops open HA notices the HA status shows are over: fencing on, node clean, failures cleaned up. */
  const reconcileHa = ({ cluster, status }: HaChange): void => {
    let changed = false;
    for (const [key, n] of notices) {
      if (n.cluster !== cluster || status.engine === null) {
        continue;
      }
      if (haNoticeOver(n, status)) {
        notices.delete(key);
        changed = true;
      }
    }
    if (changed) {
      flush();
    }
  };

  const unsubscribe = events.subscribe((event, payload) => {
    if (event === 'onDidNotify') {
      const n = payload as Notice;
      // After the saved notices are loaded, in order: a close must not be undone by the load.
      void loaded.then(() => {
        applyNotice(n);
        flush();
      });
      add({
        key: `m:${n.cluster}:${n.kind}:${n.node ?? ''}:${n.at}`,
        cluster: n.cluster,
        at: n.at,
        kind: n.kind,
        node: n.node ?? null,
        severity: n.severity,
        message: n.title,
        source: 'monitor',
      });
    } else if (event === 'onDidChangeHa') {
      const change = payload as HaChange;
      void loaded.then(() => reconcileHa(change));
    } else if (event === 'onDidChangeQuorum') {
      const { cluster, status } = payload as { cluster: string; status: ClusterStatus };
      latestStatus.set(cluster, status);
      void loaded.then(() => reconcile(status));
      if (!seenStatus.has(cluster) && status.reporter !== null) {
        seenStatus.add(cluster);
        if (deps.mergeOnConnect !== false) {
          void service.mergeAgentJournals(cluster);
        }
      }
    }
  });

  const readAgent = deps.readAgentJournal ?? (deps.machines ? defaultReadAgentJournal(deps.machines) : undefined);

  const service: HistoryService = {
    async listTimeline({ cluster, limit }) {
      const out: TimelineEntry[] = (await allEntries())
        .filter((e) => e.cluster === cluster)
        .slice(-(limit ?? 100))
        .reverse()
        .map(toTimelineEntry);
      if (saveError) {
        out.unshift({
          cluster,
          at: now(),
          severity: 'warning',
          text: `Quorate cannot save its history, so it will be gone after a restart: ${saveError}`,
          kind: 'history-unsaved',
          source: 'monitor',
        });
      }
      return ok(out);
    },
    async listNotices() {
      await loaded;
      const order = { critical: 0, warning: 1, info: 2 } as const;
      return ok([...notices.values()].sort((a, b) => order[a.severity] - order[b.severity] || b.at - a.at));
    },
    async listEvents({ cluster, since, fromAgents }) {
      const from = since === undefined ? -Infinity : Date.parse(since);
      if (Number.isNaN(from)) {
        return err(
          'history.bad-since',
          `--since ${since} is not a time`,
          'give an ISO 8601 time, e.g. 2026-12-01T03:00:00Z',
        );
      }
      const merged = fromAgents ? await service.mergeAgentJournals(cluster) : undefined;
      const events: HistoryEvent[] = (await allEntries())
        .filter((e) => e.cluster === cluster && e.at >= from)
        .map((e) => ({
          at: new Date(e.at).toISOString(),
          kind: e.kind,
          node: e.node,
          message: e.message,
          severity: e.severity,
          source: e.source,
          opId: e.opId ?? null,
        }));
      return ok(merged && merged.unreachable.length > 0 ? { events, unreachable: merged.unreachable } : { events });
    },
    async readOperationJournal({ opId }) {
      if (!isOpId(opId)) {
        return err(
          'history.bad-journal-id',
          `"${opId}" is not an operation id.`,
          'Open the operation from the timeline; its ids look like create-homelab.',
        );
      }
      let j: Journal | null;
      try {
        j = await fileJournalStore(home).load(opId);
      } catch (e) {
        return isDamagedFileError(e)
          ? err('history.damaged-journal', e.message, e.hint)
          : err(
              'history.damaged-journal',
              `The journal ${opId} cannot be read: ${String(e)}`,
              'Check the permissions of the journal folder.',
            );
      }
      if (!j) {
        return err(
          'history.no-journal',
          `There is no journal ${opId} in ${join(home, 'journal')}.`,
          'It was removed, or the operation ran from another computer.',
        );
      }
      const done = new Set(j.done);
      const view: OperationJournalView = {
        opId: j.opId,
        op: j.plan.op,
        cluster: j.plan.cluster,
        state: j.state,
        startedAt: j.startedAt,
        updatedAt: j.updatedAt,
        steps: j.plan.steps.map((s) => ({ id: s.id, machine: s.machine, title: s.title, done: done.has(s.id) })),
        error: j.error ? { stepId: j.error.stepId, message: j.error.message } : null,
      };
      return ok(view);
    },
    async mergeAgentJournals(cluster) {
      await loaded;
      const record = await loadCluster(cluster, home).catch(() => null);
      if (!record || !readAgent) {
        return { added: 0, unreachable: [] };
      }
      const reads = await Promise.all(
        Object.entries(record.nodes).map(async ([node, machine]) => ({ node, r: await readAgent(machine) })),
      );
      const unreachable = reads.filter((x) => !x.r.ok).map((x) => x.node);
      const fresh: { node: string; offsetMs: number; errorBoundMs: number; e: AgentJournalEntry }[] = [];
      const seq: Record<string, number> = {};
      for (const { node, r } of reads) {
        if (!r.ok) {
          continue;
        }
        const last = file.agentSeq[`${cluster}/${node}`] ?? 0;
        for (const e of r.value.entries) {
          if (e.seq > last) {
            fresh.push({ node, offsetMs: r.value.offsetMs, errorBoundMs: r.value.errorBoundMs, e });
          }
        }
        const top = r.value.entries.at(-1)?.seq;
        if (top !== undefined) {
          seq[`${cluster}/${node}`] = Math.max(last, top);
        }
      }
      const known = await allEntries();
      const added = mergeAgentEntries(cluster, fresh, known);
      file = { ...file, agentSeq: { ...file.agentSeq, ...seq } };
      if (added.length === 0) {
        flush();
        return { added: 0, unreachable };
      }
      for (const a of added) {
        pending.push(a);
      }
      const offsets = reads
        .filter((x) => x.r.ok)
        .map((x) => {
          const v = (x.r as { value: AgentJournalRead }).value;
          return `${x.node} ${v.offsetMs >= 0 ? '+' : ''}${(v.offsetMs / 1000).toFixed(1)} s`;
        });
      const summary: HistoryEntry = {
        key: `away:${cluster}:${added[0]!.at}:${added.at(-1)!.at}`,
        cluster,
        at: added.at(-1)!.at,
        kind: 'away',
        node: null,
        severity: added.some((a) => a.severity === 'critical') ? 'critical' : 'warning',
        message: `While Quorate was closed: ${summarize(added)} (times from the agents' clocks corrected by the measured offset: ${offsets.join(', ')})`,
        source: 'agent',
      };
      pending.push(summary);
      // Replayed entries are history, not news: they go to the timeline only — never `onDidNotify`
      // (no native notification, no banner event, no alert pushed again). A notice the journals leave
      // open (no later good news) is restored only when it is newer than the live status already
      // shown: the status supersedes anything the agents recorded before it.
      const status = latestStatus.get(cluster);
      const shownAt = status ? status.updatedAt : -Infinity;
      for (const a of added) {
        const n = noticeFromAgentEntry(a);
        if (!n) {
          continue;
        }
        const open = notices.get(noticeKey(n.cluster, n.kind, n.node));
        if (OPENS.has(n.kind) ? n.at > shownAt : !open || open.at <= n.at) {
          applyNotice(n);
        }
      }
      for (const a of [...added, summary]) {
        events.emit('onDidAddTimelineEntry', toTimelineEntry(a));
      }
      if (status) {
        reconcile(status);
      }
      flush();
      return { added: added.length, unreachable };
    },
    flushed: async () => {
      await loaded;
      await flushing;
    },
    dispose: () => {
      unsubscribe();
    },
  };
  return service;
}

/** SSH session to the node → agent socket → clock offset (4 samples) → `journal.read`. */
function defaultReadAgentJournal(machines: MachinesService): ReadAgentJournal {
  return async (machine) => {
    const session = await machines.connect(machine);
    if (!session.ok) {
      return session;
    }
    try {
      const socket = await session.value.forwardUnixSocket(AGENT_SOCKET_PATH);
      if (!socket.ok) {
        return socket;
      }
      const client = new AgentClient(socket.value, session.value.label);
      try {
        const offset = await client.measureClockOffset(4);
        if (!offset.ok) {
          return offset;
        }
        const r = await client.call('journal.read', {}, { timeoutMs: 10_000 });
        if (!r.ok) {
          return r;
        }
        return ok({
          offsetMs: offset.value.offsetMs,
          errorBoundMs: offset.value.errorBoundMs,
          entries: r.value.entries,
        });
      } finally {
        client.close();
      }
    } finally {
      await session.value.close();
    }
  };
}
