/**
 * `corosync-quorumtool -s` and `-l` (also with -i, -H, -p, -a) → typed values. The format is
 * corosync 3's tools/corosync-quorumtool.c: sections underlined with dashes, `Key: value` lines,
 * and a membership table `Nodeid Votes [Qdevice] Name` whose Qdevice column appears once a
 * QDevice is registered.
 */
import { isNodeId, type NodeId } from '../model/cluster';
import type { Result } from '../result';
import {
  fail,
  findSection,
  keyValues,
  parseCount,
  parseWith,
  required,
  sections,
  type ToolLine,
  type ToolSection,
} from './tool-text';

/** The votequorum flags `Flags:` can show, as corosync prints them. */
export const VOTEQUORUM_FLAGS = [
  '2Node',
  'Quorate',
  'WaitForAll',
  'LastManStanding',
  'AutoTieBreaker',
  'AllowDownscale',
  'Qdevice',
] as const;
export type VotequorumFlag = (typeof VOTEQUORUM_FLAGS)[number];

export interface RingId {
  /** As printed: `1.9` (representative node id and sequence, both hex) or just the sequence. */
  readonly raw: string;
  readonly repNodeId?: number;
  readonly seq: number;
}

export interface VotequorumStatus {
  readonly expectedVotes: number;
  readonly highestExpected: number;
  readonly totalVotes: number;
  readonly quorum: number;
  /** `Quorum: 2 Activity blocked`: this partition is not quorate. */
  readonly activityBlocked: boolean;
  /** Known flags in print order; unknown words are kept in `otherFlags`. */
  readonly flags: readonly VotequorumFlag[];
  readonly otherFlags: readonly string[];
}

/** Per-node QDevice state from the Qdevice column: `A,V,NMW`, or `NR` (not registered). */
export interface MemberQdeviceState {
  readonly registered: boolean;
  /** A / NA: the qdevice daemon on that node is alive. */
  readonly alive: boolean;
  /** V / NV: it casts its vote. */
  readonly castVote: boolean;
  /** MW / NMW: master wins. */
  readonly masterWins: boolean;
  readonly raw: string;
}

export interface QuorumMember {
  readonly nodeid: NodeId;
  readonly votes: number;
  /** Node name, or its address(es) with `-i`. */
  readonly name: string;
  readonly local: boolean;
  readonly qdevice?: MemberQdeviceState;
  /** QDevice extra info in `[…]` after the name (rare). */
  readonly extraInfo?: string;
}

/** The `0  1  Qdevice` row. */
export interface QdeviceRow {
  /** Votes it contributes now (0 when this node's qdevice does not cast its vote). */
  readonly votes: number;
  /** Configured votes, printed as `(votes N)` only when `votes` shows 0. */
  readonly configuredVotes?: number;
  readonly name: string;
}

export interface QuorumtoolMembership {
  readonly members: readonly QuorumMember[];
  readonly qdevice?: QdeviceRow;
}

export interface QuorumtoolStatus extends QuorumtoolMembership {
  /** ctime() text as printed, e.g. `Sun Nov 22 03:47:36 2026` (local time of that node). */
  readonly date?: string;
  readonly quorumProvider: string;
  /** Members in this node's view. */
  readonly nodes: number;
  readonly nodeId: NodeId;
  readonly ringId: RingId;
  readonly quorate: boolean;
  /** Absent when the provider is not votequorum. */
  readonly votequorum?: VotequorumStatus;
}

/** Parse `corosync-quorumtool -s` (any of -i, -H, -p, -a). */
export function parseQuorumtoolStatus(text: string, command = 'corosync-quorumtool -s'): Result<QuorumtoolStatus> {
  return parseWith(command, text, (lines) => statusFromSections(sections(lines), lines));
}

/** Parse `corosync-quorumtool -l` (also `pvecm nodes`, which runs it). */
export function parseQuorumtoolList(text: string, command = 'corosync-quorumtool -l'): Result<QuorumtoolMembership> {
  return parseWith(command, text, (lines) => {
    const all = sections(lines);
    const membership = findSection(all, 'Membership information');
    if (!membership) {
      fail(lines[0], 'no "Membership information" section');
    }
    return membershipFrom(membership);
  });
}

/** Shared with `pvecm status`: the quorumtool part from already-split sections. */
export function statusFromSections(all: readonly ToolSection[], lines: readonly ToolLine[]): QuorumtoolStatus {
  const quorum = findSection(all, 'Quorum information');
  if (!quorum) {
    fail(lines[0], 'no "Quorum information" section');
  }
  const kv = keyValues(quorum);
  const title = 'Quorum information';
  const at = quorum.lines[0];
  const provider = required(kv, 'Quorum provider', title, at).value;
  const nodes = required(kv, 'Nodes', title, at);
  const nodeIdLine = required(kv, 'Node ID', title, at);
  const ring = required(kv, 'Ring ID', title, at);
  const quorate = required(kv, 'Quorate', title, at);
  if (quorate.value !== 'Yes' && quorate.value !== 'No') {
    fail(quorate.line, `Quorate should be Yes or No, got "${quorate.value}"`);
  }
  const vqSection = findSection(all, 'Votequorum information');
  const membership = findSection(all, 'Membership information');
  if (!membership) {
    fail(lines[lines.length - 1], 'no "Membership information" section');
  }
  const date = kv.get('Date')?.value;
  const votequorum = vqSection ? votequorumFrom(vqSection) : undefined;
  const nodeCount = parseCount(nodes.value, 'Nodes', nodes.line);
  const members = membershipFrom(membership);
  // A cut-off output (a pipe closed early, a truncated capture) must not read as a smaller, healthy cluster.
  if (members.members.length !== nodeCount) {
    fail(
      lines[lines.length - 1],
      `"Nodes: ${nodeCount}" but ${members.members.length} member line(s) in "Membership information": the output is cut off`,
    );
  }
  return {
    ...(date !== undefined ? { date } : {}),
    quorumProvider: provider,
    nodes: nodeCount,
    nodeId: toNodeId(nodeIdLine.value, nodeIdLine.line),
    ringId: parseRingId(ring.value, ring.line),
    quorate: quorate.value === 'Yes',
    ...(votequorum ? { votequorum } : {}),
    ...members,
  };
}

function toNodeId(text: string, line: ToolLine | undefined): NodeId {
  const n = parseCount(text, 'node id', line);
  if (!isNodeId(n)) {
    fail(line, `node id should be 1..4294967295, got ${text}`);
  }
  return n;
}

function parseRingId(text: string, line: ToolLine): RingId {
  const m = /^(?:([0-9a-fA-F]+)\.)?([0-9a-fA-F]+)$/.exec(text);
  if (!m) {
    fail(line, `Ring ID should look like "1.9", got "${text}"`);
  }
  const seq = Number.parseInt(m[2] as string, 16);
  return m[1] === undefined ? { raw: text, seq } : { raw: text, repNodeId: Number.parseInt(m[1], 16), seq };
}

function votequorumFrom(section: ToolSection): VotequorumStatus {
  const kv = keyValues(section);
  const at = section.lines[0];
  const num = (key: string) => {
    const v = required(kv, key, section.title, at);
    return parseCount(v.value, key, v.line);
  };
  const quorumLine = required(kv, 'Quorum', section.title, at);
  const qm = /^(\d+)\s*(Activity blocked)?$/.exec(quorumLine.value);
  if (!qm) {
    fail(
      quorumLine.line,
      `Quorum should be a number, optionally followed by "Activity blocked", got "${quorumLine.value}"`,
    );
  }
  const words = (kv.get('Flags')?.value ?? '').split(/\s+/).filter(Boolean);
  const known = new Set<string>(VOTEQUORUM_FLAGS);
  return {
    expectedVotes: num('Expected votes'),
    highestExpected: num('Highest expected'),
    totalVotes: num('Total votes'),
    quorum: Number(qm[1]),
    activityBlocked: qm[2] !== undefined,
    flags: words.filter((w): w is VotequorumFlag => known.has(w)),
    otherFlags: words.filter((w) => !known.has(w)),
  };
}

const QDEVICE_STATE = /^(NR|(N?A),(N?V),(N?MW))$/;

function membershipFrom(section: ToolSection): QuorumtoolMembership {
  const [header, ...rows] = section.lines;
  if (!header || !/^\s*Nodeid\s+(Votes\s+)?(Qdevice\s+)?Name$/.test(header.text)) {
    fail(header ?? undefined, `expected the header "Nodeid Votes Name", got "${header?.text.trim() ?? ''}"`);
  }
  const hasVotes = /\bVotes\b/.test(header.text);
  const hasQdevice = /\bQdevice\b/.test(header.text);
  const members: QuorumMember[] = [];
  let qdevice: QdeviceRow | undefined;
  for (const row of rows) {
    const cols = /^\s*(0x[0-9a-fA-F]+|\d+)\s+(.*)$/.exec(row.text);
    if (!cols) {
      fail(row, `expected a membership row "<nodeid> <votes> <name>", got "${row.text.trim()}"`);
    }
    const id = parseCount(cols[1] as string, 'Nodeid', row);
    let rest = cols[2] as string;
    let votes = 1;
    if (hasVotes) {
      const v = /^(\d+)\s+(.*)$/.exec(rest);
      if (!v) {
        fail(row, `expected votes after the node id, got "${rest}"`);
      }
      votes = Number(v[1]);
      rest = v[2] as string;
    }
    // VOTEQUORUM_QDEVICE_NODEID is 0: the QDevice's own row, without a state column.
    if (id === 0) {
      const q = /^(.*?)(?: \(votes (\d+)\))?$/.exec(rest.trim()) as RegExpExecArray;
      qdevice = { votes, name: q[1] as string, ...(q[2] !== undefined ? { configuredVotes: Number(q[2]) } : {}) };
      continue;
    }
    let state: MemberQdeviceState | undefined;
    if (hasQdevice) {
      const s = /^(\S+)\s+(.*)$/.exec(rest);
      const m = s ? QDEVICE_STATE.exec(s[1] as string) : null;
      if (!s || !m) {
        fail(row, `expected a Qdevice state (A,V,NMW or NR) before the name, got "${rest}"`);
      }
      state =
        m[1] === 'NR'
          ? { registered: false, alive: false, castVote: false, masterWins: false, raw: 'NR' }
          : {
              registered: true,
              alive: m[2] === 'A',
              castVote: m[3] === 'V',
              masterWins: m[4] === 'MW',
              raw: m[1] as string,
            };
      rest = s[2] as string;
    }
    const n = /^(.*?)(?: \[(.*)\])?( \(local\))?$/.exec(rest) as RegExpExecArray;
    if (!isNodeId(id)) {
      fail(row, `node id should be 1..4294967295, got ${cols[1]}`);
    }
    members.push({
      nodeid: id,
      votes,
      name: n[1] as string,
      local: n[3] !== undefined,
      ...(state ? { qdevice: state } : {}),
      ...(n[2] !== undefined ? { extraInfo: n[2] } : {}),
    });
  }
  return { members, ...(qdevice ? { qdevice } : {}) };
}
