/**
 * `corosync-quorumtool -s` output → the values status and verification need. A small adapter here:
 * engine/corosync's tool parsers are the full ones; this reads the few lines a plan waits on and is
 * also fed `pvecm status`, which prints the same sections.
 */

export interface QuorumMember {
  readonly nodeid: number;
  readonly votes: number;
  /** Per-node QDevice flags (A/NA, V/NV, MW/NMW, NR), empty without a QDevice. */
  readonly qdeviceFlags: readonly string[];
  readonly name: string;
  readonly local: boolean;
}

export interface QuorumStatus {
  readonly quorate: boolean;
  readonly nodes: number;
  readonly expectedVotes: number;
  readonly highestExpected: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly flags: readonly string[];
  readonly members: readonly QuorumMember[];
  /** Votes the QDevice contributes now (its `Qdevice` membership line), null without a QDevice. */
  readonly qdeviceVotes: number | null;
}

function field(text: string, name: string): string | undefined {
  const m = text.match(new RegExp(`^\\s*${name}:\\s*(.*)$`, 'mi'));
  return m?.[1]?.trim();
}

/** Parse `corosync-quorumtool -s` (or `pvecm status`). Returns null when the text has no votequorum section. */
export function parseQuorumStatus(text: string): QuorumStatus | null {
  const quorate = field(text, 'Quorate');
  const expected = field(text, 'Expected votes');
  if (quorate === undefined || expected === undefined) return null;
  const num = (s: string | undefined): number => Number.parseInt((s ?? '').split(/\s/)[0] ?? '', 10);
  const { members, qdeviceVotes } = parseMembership(text);
  return {
    quorate: /^yes/i.test(quorate),
    nodes: num(field(text, 'Nodes')),
    expectedVotes: num(expected),
    highestExpected: num(field(text, 'Highest expected')),
    totalVotes: num(field(text, 'Total votes')),
    quorum: num(field(text, 'Quorum')),
    flags: (field(text, 'Flags') ?? '').split(/\s+/).filter(Boolean),
    members,
    qdeviceVotes,
  };
}

/**
 * The "Membership information" table of `corosync-quorumtool -s`/`-l`, `pvecm status` or `pvecm nodes`
 * (node ids in decimal or 0x hex; the `Qdevice` row gives the QDevice's current votes).
 */
export function parseMembership(text: string): { members: QuorumMember[]; qdeviceVotes: number | null } {
  const members: QuorumMember[] = [];
  let qdeviceVotes: number | null = null;
  const section = text.split(/Membership information\s*\n[-~]*\s*\n/i)[1] ?? '';
  for (const line of section.split('\n')) {
    const m = line.trim().match(/^(0x[0-9a-f]+|\d+)\s+(\d+)\s+(.*)$/i);
    if (!m) continue;
    const nodeid = m[1]!.startsWith('0x') ? Number.parseInt(m[1]!, 16) : Number(m[1]);
    let rest = m[3]!.trim();
    if (nodeid === 0 && /^Qdevice\b/i.test(rest)) {
      qdeviceVotes = Number(m[2]);
      continue;
    }
    let flags: string[] = [];
    const f = rest.match(/^((?:N?A|N?V|N?MW|NR)(?:,(?:N?A|N?V|N?MW|NR))*)\s+(.*)$/);
    if (f) {
      flags = f[1]!.split(',');
      rest = f[2]!;
    }
    const local = /\(local\)\s*$/.test(rest);
    members.push({ nodeid, votes: Number(m[2]), qdeviceFlags: flags, name: rest.replace(/\s*\(local\)\s*$/, ''), local });
  }
  return { members, qdeviceVotes };
}

/** What each QDevice flag means, for status output. */
export const QDEVICE_FLAG_MEANINGS: Readonly<Record<string, string>> = {
  A: 'Alive: the node’s qdevice daemon is running and talking to corosync',
  NA: 'Not alive: the node’s qdevice daemon is not running or not registered',
  V: 'Vote: the QDevice casts its vote for this node’s partition',
  NV: 'No vote: the QDevice does not vote for this node (qnetd unreachable or the other side won)',
  MW: 'Master wins: qdevice told votequorum this partition wins (lms/ffsplit decision)',
  NMW: 'Not master wins',
  NR: 'Not registered with votequorum',
};
