/**
 * The agent's journal of quorum and membership changes, as this node's corosync saw them: pure part.
 * The journal watch (`journal-watch.proc.ts`) reduces every `quorum.watch` observation to a small
 * view and appends what changed; the desktop reads it with `journal.read` on connect and merges it
 * into its timeline ("while you were away"), ordered by these agent timestamps corrected by the
 * clock offset it measures. Kinds match the desktop's notice kinds, plus corosync stopping/starting.
 */
import type { QuorumWatchEvent } from './protocol';

export type AgentJournalKind =
  | 'quorum-lost'
  | 'quorum-regained'
  | 'node-left'
  | 'node-joined'
  | 'qdevice-unreachable'
  | 'qdevice-reachable'
  | 'corosync-stopped'
  | 'corosync-started';

export interface AgentJournalEntry {
  /** Increases by one per entry over the journal's whole life (survives restarts). */
  readonly seq: number;
  /** Agent wall clock, ms since the epoch. */
  readonly at: number;
  readonly kind: AgentJournalKind;
  /** The node concerned (node-left / node-joined), else null. */
  readonly node: string | null;
  /** This node's name in corosync's membership (null while corosync is down). */
  readonly reporter: string | null;
  /** Whether this node's partition was quorate after the change (null: corosync down). */
  readonly quorate: boolean | null;
  /** The partition's members after the change, as this node saw them. */
  readonly members: readonly string[];
  readonly message: string;
}

/** What the journal compares between two observations. */
export interface JournalView {
  readonly running: boolean;
  readonly quorate: boolean | null;
  readonly local: string | null;
  readonly members: readonly string[];
  /** Votes the QDevice casts; null without a QDevice. */
  readonly qdeviceVotes: number | null;
  readonly votes: number;
  readonly quorum: number;
  /** Lowest nodeid in this partition's membership, and this node's: who sends an alert. */
  readonly lowestNodeId: number | null;
  readonly localNodeId: number | null;
  /** name → nodeid of the members (absent in views saved by agent 0.4.0 before alerts). */
  readonly ids?: Readonly<Record<string, number>>;
}

export function journalViewOf(e: Pick<QuorumWatchEvent, 'running' | 'status'>): JournalView {
  const s = e.status;
  if (!e.running || !s) {
    return {
      running: e.running && s !== null,
      quorate: null,
      local: null,
      members: [],
      qdeviceVotes: null,
      votes: 0,
      quorum: 0,
      lowestNodeId: null,
      localNodeId: null,
    };
  }
  const ids = s.members.map((m) => m.nodeid);
  const local = s.members.find((m) => m.local);
  return {
    running: true,
    quorate: s.quorate,
    local: local?.name ?? null,
    members: s.members.map((m) => m.name).sort(),
    qdeviceVotes: s.qdeviceVotes,
    votes: s.totalVotes,
    quorum: s.quorum,
    lowestNodeId: ids.length > 0 ? Math.min(...ids) : null,
    localNodeId: local?.nodeid ?? null,
    ids: Object.fromEntries(s.members.map((m) => [m.name, m.nodeid])),
  };
}

type Draft = Omit<AgentJournalEntry, 'seq'>;

/** The entries for going from `before` to `after`; none for the first view ever (`before` null). */
export function journalChanges(before: JournalView | null, after: JournalView, at: number): Draft[] {
  if (before === null) {
    return [];
  }
  const out: Draft[] = [];
  const base = { at, reporter: after.local ?? before.local, quorate: after.quorate, members: after.members };
  const here = base.reporter ?? 'this node';
  if (before.running && !after.running) {
    out.push({ ...base, kind: 'corosync-stopped', node: null, message: `corosync stopped answering on ${here}` });
    return out;
  }
  if (!before.running && after.running) {
    out.push({ ...base, kind: 'corosync-started', node: null, message: `corosync answers again on ${here}` });
  }
  const was = before.running ? before : null;
  if (after.quorate === false && was?.quorate !== false) {
    out.push({
      ...base,
      kind: 'quorum-lost',
      node: null,
      message: `quorum lost (seen by ${here}: ${after.votes} of the ${after.quorum} votes needed; partition ${after.members.join(', ') || 'empty'})`,
    });
  }
  if (after.quorate === true && was !== null && was.quorate === false) {
    out.push({
      ...base,
      kind: 'quorum-regained',
      node: null,
      message: `quorum regained (seen by ${here}: ${after.members.join(', ')})`,
    });
  }
  if (was) {
    for (const n of was.members.filter((m) => !after.members.includes(m))) {
      out.push({ ...base, kind: 'node-left', node: n, message: `${n} left the membership (seen by ${here})` });
    }
    for (const n of after.members.filter((m) => !was.members.includes(m))) {
      out.push({ ...base, kind: 'node-joined', node: n, message: `${n} joined the membership (seen by ${here})` });
    }
    if ((was.qdeviceVotes ?? 0) > 0 && after.qdeviceVotes === 0) {
      out.push({
        ...base,
        kind: 'qdevice-unreachable',
        node: null,
        message: `the QDevice stopped voting (seen by ${here})`,
      });
    }
    if (was.qdeviceVotes === 0 && (after.qdeviceVotes ?? 0) > 0) {
      out.push({
        ...base,
        kind: 'qdevice-reachable',
        node: null,
        message: `the QDevice votes again (seen by ${here})`,
      });
    }
  }
  return out;
}

/** Numbers drafts after `lastSeq`. */
export function numbered(drafts: readonly Draft[], lastSeq: number): AgentJournalEntry[] {
  return drafts.map((d, i) => ({ seq: lastSeq + i + 1, ...d }));
}

/** The newest `limit` entries. */
export function bounded<T>(entries: readonly T[], limit: number): T[] {
  return entries.length > limit ? entries.slice(entries.length - limit) : [...entries];
}

/** Parses journal lines (JSON per line), skipping any that are torn or not entries. */
export function parseJournalLines(text: string): AgentJournalEntry[] {
  const out: AgentJournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    try {
      const v = JSON.parse(line) as AgentJournalEntry;
      if (typeof v.seq === 'number' && typeof v.at === 'number' && typeof v.kind === 'string') {
        out.push(v);
      }
    } catch {
      // a line torn by a crash mid-append: skip it
    }
  }
  return out;
}
