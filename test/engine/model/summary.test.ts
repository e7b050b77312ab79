import { describe, expect, it } from 'vitest';
import {
  canLoseFor,
  canLoseNow,
  evaluatePartitions,
  expectedVotes,
  failureTable,
  nodeId,
  qdeviceVotes,
  qdeviceVotesFor,
  quorumSummary,
  type QdeviceConfig,
  type VotequorumConfig,
} from '../../../engine/model';

const cfg = (votes: number[], extra: Partial<VotequorumConfig> = {}): VotequorumConfig => ({
  nodes: votes.map((v, i) => ({ name: `n${i + 1}`, nodeid: nodeId(i + 1), votes: v })),
  twoNode: false,
  lastManStanding: false,
  lastManStandingWindowMs: 10_000,
  autoTieBreaker: false,
  autoTieBreakerNode: 'lowest',
  ...extra,
});
const qd = (algorithm: 'ffsplit' | 'lms', votes?: number): QdeviceConfig => ({
  model: 'net',
  host: 'q',
  algorithm,
  tieBreaker: 'lowest',
  ...(votes !== undefined ? { votes } : {}),
});

/**
 * The oracle: the partition evaluator, losing the heaviest nodes one by one (each dead alone),
 * the survivors together and reaching qnetd. canLose is the last k at which they are still quorate.
 */
function canLoseByPartitions(c: VotequorumConfig): number {
  const order = [...c.nodes].sort((a, b) => b.votes - a.votes).map((n) => n.name);
  let k = 0;
  while (k + 1 < order.length) {
    const dead = order.slice(0, k + 1);
    const survivors = order.slice(k + 1);
    const v = evaluatePartitions(c, {
      groups: [survivors, ...dead.map((d) => [d])],
      qdeviceReachable: [true, ...dead.map(() => false)],
    });
    if (!v[0]!.quorate) {
      break;
    }
    k++;
  }
  return k;
}

describe('quorumSummary: the figures a plan shows', () => {
  const cases: [string, VotequorumConfig][] = [
    ['1 node', cfg([1])],
    ['2 nodes two_node', cfg([1, 1], { twoNode: true })],
    ['3 nodes', cfg([1, 1, 1])],
    ['4 nodes', cfg([1, 1, 1, 1])],
    ['5 nodes', cfg([1, 1, 1, 1, 1])],
    ['5 nodes, one with 3 votes', cfg([3, 1, 1, 1, 1])],
    ['2 nodes + ffsplit', cfg([1, 1], { qdevice: qd('ffsplit', 1) })],
    ['4 nodes + ffsplit', cfg([1, 1, 1, 1], { qdevice: qd('ffsplit', 1) })],
    ['3 nodes + lms (default votes)', cfg([1, 1, 1], { qdevice: qd('lms') })],
    ['5 nodes + lms votes 4', cfg([1, 1, 1, 1, 1], { qdevice: qd('lms', 4) })],
  ];
  it.each(cases)('%s: can lose agrees with the partition evaluator', (_, c) => {
    const s = quorumSummary(c);
    expect(s.canLose).toBe(canLoseByPartitions(c));
    expect(s.nodes).toBe(c.nodes.length);
    expect(s.expectedVotes).toBe(expectedVotes(c));
  });

  it('gives the Proxmox table for plain clusters and the failure table with a QDevice', () => {
    expect([2, 3, 4, 5].map((n) => quorumSummary(cfg(Array(n).fill(1))).canLose)).toEqual([0, 1, 1, 2]);
    for (const n of [2, 3, 4, 5, 6]) {
      expect(canLoseFor(n, true)).toBe(failureTable(n, { qdevice: true }).canLose);
      expect(canLoseFor(n, false)).toBe(quorumSummary(cfg(Array(n).fill(1))).canLose);
    }
  });

  it('counts no vote for an ffsplit QDevice without votes: 1 (corosync-qdevice exits), but its default in expected votes', () => {
    const s = quorumSummary(cfg([1, 1, 1], { qdevice: qd('ffsplit') }));
    expect(s.expectedVotes).toBe(5);
    expect(s.totalVotes).toBe(3);
    expect(s.quorum).toBe(3);
    expect(s.canLose).toBe(0);
  });
});

describe('QDevice votes', () => {
  it('Quorate writes 1 for ffsplit and corosync’s own default for lms', () => {
    expect(qdeviceVotesFor('ffsplit', cfg([1, 1, 1, 1]).nodes)).toBe(1);
    for (const n of [3, 5, 7]) {
      const c = cfg(Array(n).fill(1), { qdevice: qd('lms') });
      expect(qdeviceVotesFor('lms', c.nodes)).toBe(qdeviceVotes(c));
    }
  });
});

describe('canLoseNow: a live membership', () => {
  it('is 0 when not quorate, and never counts the last member as losable', () => {
    expect(canLoseNow({ quorate: false, totalVotes: 1, quorum: 2, members: [{ votes: 1 }] })).toBe(0);
    // two_node: quorum 1 — the survivor may lose its peer, not itself.
    expect(canLoseNow({ quorate: true, totalVotes: 2, quorum: 1, members: [{ votes: 1 }, { votes: 1 }] })).toBe(1);
  });

  it('drops the heaviest members first', () => {
    const members = [{ votes: 1 }, { votes: 3 }, { votes: 1 }, { votes: 1 }];
    // 6 votes, quorum 4: losing the 3-vote node leaves 3 < 4.
    expect(canLoseNow({ quorate: true, totalVotes: 6, quorum: 4, members })).toBe(0);
  });

  it('counts the QDevice vote in the partition: 3 nodes + lms (2 votes) can lose two', () => {
    const members = [{ votes: 1 }, { votes: 1 }, { votes: 1 }];
    expect(canLoseNow({ quorate: true, totalVotes: 5, quorum: 3, members })).toBe(2);
    // the QDevice lost: 3 of 5, quorum 3, nothing to spare.
    expect(canLoseNow({ quorate: true, totalVotes: 3, quorum: 3, members })).toBe(0);
  });
});
