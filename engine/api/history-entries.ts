/**
 * The pure part of the history (engine/api/history.ts), over plain entries (no I/O): which notice
 * kinds open or close a notice and under which key, a history entry as a timeline entry, the
 * agents' journal entries merged into the history (times corrected, one change seen by several
 * nodes kept once), the "while Quorate was closed" summary, and the notice an agent entry restores.
 * Its own module so that history.ts keeps the events, the file and the agents' sessions.
 */
import { AGENT_ALERT_KINDS } from '../agent/alert-format';
import type { AgentJournalEntry } from '../agent/event-journal';
import type { HistoryEntry } from '../store';
import type { Notice, NoticeKind, TimelineEntry } from './contract';

/** Two nodes' journal entries for the same change are one event when this close (ms). */
const SAME_EVENT_MS = 20_000;

/**
 * One open notice per key. HA (engine/ha/notices.ts): fencing off is one per cluster; fencing pending
 * and a failed action one per node (the notice names no resource; the latest failure on a node is
 * the one shown); a Proxmox service in `error` one per service. A resource that moved, a guest
 * recovered elsewhere and a migration's end are news only (timeline), never an open notice.
 */
export const noticeKey = (cluster: string, kind: string, node?: string | null, resource?: string): string => {
  if (kind === 'ha-service-error') {
    return `${cluster}\n${kind}\n${resource ?? ''}`;
  }
  const group = kind.startsWith('quorum')
    ? 'quorum'
    : kind.startsWith('node')
      ? 'node'
      : kind.startsWith('ha-')
        ? kind
        : 'qdevice';
  const perNode = group === 'node' || group === 'ha-fencing-pending' || group === 'ha-resource-failed';
  return `${cluster}\n${group}\n${perNode ? (node ?? '') : ''}`;
};
/** Kinds that open a notice that survives a restart until something says it is over. */
export const OPENS: ReadonlySet<string> = new Set([
  'quorum-lost',
  'node-left',
  'node-lost',
  'qdevice-unreachable',
  'ha-fencing-disabled',
  'ha-fencing-pending',
  'ha-resource-failed',
  'ha-service-error',
]);
/**
 * Kinds that close one. The HA engine has no "good news" events: its notices are closed by the
 * HA status (`onDidChangeHa`, see reconcileHa), and a node that joins again ends its pending fencing.
 */
export const CLOSES: ReadonlySet<string> = new Set(['quorum-regained', 'node-joined', 'qdevice-reachable']);

export function toTimelineEntry(e: HistoryEntry): TimelineEntry {
  return {
    cluster: e.cluster,
    at: e.at,
    severity: e.severity,
    text: e.message,
    kind: e.kind,
    node: e.node,
    source: e.source,
    ...(e.opId ? { opId: e.opId } : {}),
  };
}

const SEVERITY: Readonly<Record<string, HistoryEntry['severity']>> = {
  'quorum-lost': 'critical',
  'node-left': 'warning',
  'node-lost': 'warning',
  'qdevice-unreachable': 'warning',
  'corosync-stopped': 'warning',
};

/**
 * The agents' new entries as timeline entries: times corrected (agent − offset), the same change
 * seen by several nodes kept once (reporters named), and changes this desktop saw live skipped.
 */
export function mergeAgentEntries(
  cluster: string,
  fresh: readonly { node: string; offsetMs: number; errorBoundMs: number; e: AgentJournalEntry }[],
  known: readonly HistoryEntry[],
): HistoryEntry[] {
  const out: (HistoryEntry & { reporters: string[] })[] = [];
  const sorted = fresh.map((f) => ({ ...f, at: f.e.at - f.offsetMs })).sort((a, b) => a.at - b.at);
  for (const f of sorted) {
    const same = (x: { kind: string; node: string | null; at: number }): boolean =>
      x.kind === f.e.kind && x.node === f.e.node && Math.abs(x.at - f.at) < SAME_EVENT_MS;
    if (known.some((k) => k.cluster === cluster && k.source === 'monitor' && same(k))) {
      continue;
    }
    const dup = out.find(same);
    if (dup) {
      if (!dup.reporters.includes(f.node)) {
        dup.reporters.push(f.node);
      }
      continue;
    }
    out.push({
      key: `a:${cluster}:${f.node}:${f.e.seq}`,
      cluster,
      at: Math.round(f.at),
      kind: f.e.kind,
      node: f.e.node,
      severity: SEVERITY[f.e.kind] ?? 'info',
      message: `${cluster}: ${f.e.message}`,
      source: 'agent',
      reporter: f.node,
      offsetMs: Math.round(f.offsetMs),
      reporters: [f.node],
    });
  }
  return out.map(({ reporters, ...e }) =>
    reporters.length > 1 ? { ...e, message: `${e.message}; also seen by ${reporters.slice(1).join(', ')}` } : e,
  );
}

const hhmm = (ms: number): string => new Date(ms).toTimeString().slice(0, 5);

/** "quorum lost 03:12–03:14, node3 left 03:12" */
export function summarize(entries: readonly HistoryEntry[]): string {
  const parts: string[] = [];
  const used = new Set<HistoryEntry>();
  for (const e of entries) {
    if (used.has(e)) {
      continue;
    }
    used.add(e);
    const closer = { 'quorum-lost': 'quorum-regained', 'node-left': 'node-joined' }[e.kind as 'quorum-lost'];
    const end = closer
      ? entries.find((x) => !used.has(x) && x.kind === closer && x.node === e.node && x.at >= e.at)
      : undefined;
    if (end) {
      used.add(end);
    }
    const what =
      e.kind === 'quorum-lost'
        ? 'quorum lost'
        : e.kind === 'node-left'
          ? `${e.node} left`
          : e.kind.replace(/-/g, ' ') + (e.node ? ` (${e.node})` : '');
    parts.push(end ? `${what} ${hhmm(e.at)}–${hhmm(end.at)}` : `${what} ${hhmm(e.at)}`);
  }
  return parts.join(', ');
}

export function noticeFromAgentEntry(e: HistoryEntry): Notice | null {
  // The agents journal exactly the kinds they alert on (each is also a NoticeKind).
  if (!(AGENT_ALERT_KINDS as readonly string[]).includes(e.kind)) {
    return null;
  }
  const kind = e.kind as NoticeKind;
  const bad = OPENS.has(kind);
  return {
    kind,
    cluster: e.cluster,
    at: e.at,
    severity: e.severity,
    ...(e.node ? { node: e.node } : {}),
    title: e.message,
    body: `Seen by ${e.reporter ?? 'an agent'} while Quorate was closed (its clock, corrected by the measured offset).`,
    guidance: bad
      ? kind === 'quorum-lost'
        ? [
            'Restore power or network to the missing nodes first.',
            'Check corosync on each node: corosync-quorumtool -s.',
          ]
        : ['Check that node is powered and reachable on its corosync links.']
      : [],
  };
}
