/**
 * The figures the product shows about a cluster's quorum — expected votes, quorum, "can lose N",
 * QDevice votes — computed once, here, from a configuration (`quorumSummary`, for plans and
 * pre-flight) or from a live membership as corosync reports it (`canLoseNow`, for the dashboard).
 * Nothing outside engine/model derives these again.
 */
import type { QdeviceAlgorithm, VotequorumConfig } from './cluster';
import { failureTable } from './failure-table';
import { effectiveVotequorum, expectedVotes, nodelistVotes, qdeviceVotes, quorumFor } from './votequorum';

export interface QuorumSummary {
  /** Nodes in the nodelist. */
  readonly nodes: number;
  /** Expected votes once every node and the QDevice have been present (`corosync-quorumtool -s`). */
  readonly expectedVotes: number;
  /** Votes present with every node up and the QDevice voting. */
  readonly totalVotes: number;
  readonly quorum: number;
  /** Node failures (heaviest first, QDevice still voting) the rest survives quorate. */
  readonly canLose: number;
}

/** A live membership as `corosync-quorumtool -s` reports it on one of its members. */
export interface LiveVotes {
  readonly quorate: boolean;
  /** Votes present in this partition, the QDevice's included when it votes. */
  readonly totalVotes: number;
  readonly quorum: number;
  readonly members: readonly { readonly votes: number }[];
}

/**
 * How many more members this partition can lose and stay quorate: drop the heaviest members
 * first (the worst case) while quorum holds; the last member standing is never "lost". 0 when
 * the partition is not quorate.
 */
export function canLoseNow(m: LiveVotes): number {
  if (!m.quorate) {
    return 0;
  }
  const votes = m.members.map((x) => x.votes).sort((a, b) => b - a);
  let left = m.totalVotes;
  let lost = 0;
  for (const v of votes) {
    if (lost === votes.length - 1 || left - v < m.quorum) {
      break;
    }
    left -= v;
    lost++;
  }
  return lost;
}

/**
 * The summary of a configuration with every node up and the QDevice (if any) voting, as
 * corosync would report it on each member. two_node gives quorum 1 while at most two members remain.
 */
export function quorumSummary(cfg: VotequorumConfig): QuorumSummary {
  const expected = expectedVotes(cfg);
  const qv = effectiveVotequorum(cfg).qdeviceProblem ? 0 : qdeviceVotes(cfg);
  const totalVotes = nodelistVotes(cfg.nodes) + qv;
  const quorum = quorumFor(expected, cfg);
  // two_node: quorum is 1 once two or fewer members remain, which `quorumFor` without a member count
  // does not know; count it for the partition left after each loss.
  const votes = cfg.nodes.map((n) => n.votes).sort((a, b) => b - a);
  let left = totalVotes;
  let lost = 0;
  for (const v of votes) {
    const members = cfg.nodes.length - lost - 1;
    if (members < 1 || left - v < quorumFor(expected, cfg, members)) {
      break;
    }
    left -= v;
    lost++;
  }
  return { nodes: cfg.nodes.length, expectedVotes: expected, totalVotes, quorum, canLose: lost };
}

/** A summary for expected votes lowered at runtime (`corosync-quorumtool -e VOTES`): quorum follows them. */
export function loweredExpectedSummary(nodes: number, votes: number): QuorumSummary {
  return { nodes, expectedVotes: votes, totalVotes: votes, quorum: quorumFor(votes), canLose: 0 };
}

/**
 * The QDevice votes Quorate writes into `quorum.device.votes` (always explicitly): ffsplit only
 * runs with 1; lms gets corosync's own default, the nodelist sum − 1 (see `qdeviceVotes`).
 */
export function qdeviceVotesFor(algorithm: QdeviceAlgorithm, nodes: readonly { readonly votes: number }[]): number {
  return algorithm === 'ffsplit' ? 1 : Math.max(1, nodes.reduce((s, n) => s + n.votes, 0) - 1);
}

/**
 * "N nodes, can lose K" for a planned node count with every node 1 vote, with the QDevice Quorate
 * would set up (ffsplit for even counts, lms for odd): the failure table's answer.
 */
export function canLoseFor(nodes: number, qdevice: boolean): number {
  return nodes < 1 ? 0 : failureTable(nodes, { qdevice }).canLose;
}
