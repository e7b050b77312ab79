import { describe, expect, it } from 'vitest';
import { checkWhatIf, nodeId, whatIf, type LiveQuorum, type VotequorumConfig } from '../../../engine/model';
import { cluster, names, qdevice } from './fixtures';

/** The live view corosync gives of a cluster with every node up (and a voting QDevice, if any). */
function allUp(cfg: VotequorumConfig, qdeviceVotes = 0): LiveQuorum {
  const votes = cfg.nodes.reduce((s, n) => s + n.votes, 0) + qdeviceVotes;
  return {
    members: cfg.nodes.map((n) => n.name),
    quorate: true,
    totalVotes: votes,
    expectedVotes: votes,
    quorum: Math.floor(votes / 2) + 1,
    qdeviceVoting: qdeviceVotes > 0,
  };
}

const fig = (a: { quorate: boolean; votes: number; expectedVotes: number; quorum: number; canLose: number }) => [
  a.quorate,
  a.votes,
  a.expectedVotes,
  a.quorum,
  a.canLose,
];

describe('whatIf', () => {
  it('3 nodes: one may go, the rest can lose no further node', () => {
    const cfg = cluster(3);
    const a = whatIf(cfg, allUp(cfg), { nodes: ['pve3'], qdevice: false });
    expect(fig(a.now)).toEqual([true, 3, 3, 2, 1]);
    expect(fig(a.after)).toEqual([true, 2, 3, 2, 0]);
    expect(a.remaining).toEqual(names(1, 2));
    expect(a.reason).toContain('without pve3');
  });

  it('3 nodes: two going away leaves the last one inquorate', () => {
    const cfg = cluster(3);
    const a = whatIf(cfg, allUp(cfg), { nodes: ['pve1', 'pve2'], qdevice: false });
    expect(fig(a.after)).toEqual([false, 1, 3, 2, 0]);
    expect(a.reason).toContain('loses quorum');
  });

  it('keeps expected votes as corosync holds them when a node is already down', () => {
    const cfg = cluster(5);
    // pve5 died earlier: corosync still expects 5 votes.
    const live: LiveQuorum = { ...allUp(cfg), members: names(1, 2, 3, 4), totalVotes: 4 };
    const a = whatIf(cfg, live, { nodes: ['pve4', 'pve5'], qdevice: false });
    expect(fig(a.now)).toEqual([true, 4, 5, 3, 1]);
    expect(fig(a.after)).toEqual([true, 3, 5, 3, 0]);
    expect(a.reason).toContain('pve5 is already out of the membership');
  });

  it('a quorate live membership is past wait_for_all even with a node missing', () => {
    const cfg = cluster(4, { waitForAll: true });
    const live: LiveQuorum = { ...allUp(cfg), members: names(1, 2, 3), totalVotes: 3, quorum: 3 };
    const a = whatIf(cfg, live, { nodes: [], qdevice: false });
    expect(fig(a.after)).toEqual([true, 3, 4, 3, 0]);
  });

  it('two_node: either node may go, the survivor keeps quorum 1', () => {
    const cfg = cluster(2, { twoNode: true });
    const live: LiveQuorum = { ...allUp(cfg), quorum: 1 };
    const a = whatIf(cfg, live, { nodes: ['pve1'], qdevice: false });
    expect(fig(a.now)).toEqual([true, 2, 2, 1, 1]);
    expect(fig(a.after)).toEqual([true, 1, 2, 1, 0]);
  });

  it('weighted votes: losing the heavy node is the worst case', () => {
    const cfg = cluster([3, 1, 1, 1]);
    const a = whatIf(cfg, allUp(cfg), { nodes: ['pve1'], qdevice: false });
    expect(fig(a.now)).toEqual([true, 6, 6, 4, 0]);
    expect(fig(a.after)).toEqual([false, 3, 6, 4, 0]);
    const b = whatIf(cfg, allUp(cfg), { nodes: ['pve4'], qdevice: false });
    expect(fig(b.after)).toEqual([true, 5, 6, 4, 0]);
  });

  it('auto_tie_breaker: the half with the lowest node id stays quorate, the other does not', () => {
    const cfg = cluster(4, { autoTieBreaker: true });
    const keep = whatIf(cfg, allUp(cfg), { nodes: names(3, 4), qdevice: false });
    expect(fig(keep.after)).toEqual([true, 2, 4, 3, 0]);
    expect(keep.reason).toContain('auto_tie_breaker');
    const lose = whatIf(cfg, allUp(cfg), { nodes: names(1, 2), qdevice: false });
    expect(lose.after.quorate).toBe(false);
    // Worst case first: losing pve1 (the tie-breaker) and then one more leaves 2 without it.
    expect(keep.now.canLose).toBe(1);
  });

  it('QDevice ffsplit: the QDevice carries a 2-node cluster through one loss, not through its own', () => {
    const cfg = cluster(2, { qdevice: qdevice('ffsplit') });
    const live = allUp(cfg, 1);
    const a = whatIf(cfg, live, { nodes: ['pve2'], qdevice: false });
    expect(fig(a.now)).toEqual([true, 3, 3, 2, 1]);
    expect(fig(a.after)).toEqual([true, 2, 3, 2, 0]);
    const b = whatIf(cfg, live, { nodes: ['pve2'], qdevice: true });
    expect(fig(b.after)).toEqual([false, 1, 3, 2, 0]);
    expect(b.reason).toContain('the QDevice');
    const c = whatIf(cfg, live, { nodes: [], qdevice: true });
    expect(fig(c.after)).toEqual([true, 2, 3, 2, 0]);
  });

  it('QDevice lms (3 nodes, 2 votes): one node with the QDevice survives two losses', () => {
    const cfg = cluster(3, { qdevice: qdevice('lms') });
    const live = allUp(cfg, 2);
    const a = whatIf(cfg, live, { nodes: names(2, 3), qdevice: false });
    expect(fig(a.now)).toEqual([true, 5, 5, 3, 2]);
    expect(fig(a.after)).toEqual([true, 3, 5, 3, 0]);
  });

  it('a QDevice that does not vote now is not counted after', () => {
    const cfg = cluster(2, { qdevice: qdevice('ffsplit') });
    const live: LiveQuorum = { ...allUp(cfg, 1), totalVotes: 2, qdeviceVoting: false };
    const a = whatIf(cfg, live, { nodes: ['pve1'], qdevice: false });
    expect(a.after.quorate).toBe(false);
  });

  it('last_man_standing: expected votes drop after the window, so it can lose more one at a time', () => {
    const cfg = cluster(5, { lastManStanding: true });
    const a = whatIf(cfg, allUp(cfg), { nodes: names(5), qdevice: false });
    expect(fig(a.after)).toEqual([true, 4, 4, 3, 2]);
    expect(a.now.canLose).toBe(3);
  });

  it('an inquorate cluster can lose nothing', () => {
    const cfg = cluster(3);
    const live: LiveQuorum = { ...allUp(cfg), members: names(1), totalVotes: 1, quorate: false };
    expect(whatIf(cfg, live, { nodes: [], qdevice: false }).now.canLose).toBe(0);
  });

  it('refuses an unknown node name with the nodelist in the hint', () => {
    const cfg = cluster(3);
    const r = checkWhatIf(cfg, allUp(cfg), { nodes: ['pve9'], qdevice: false });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('whatif.unknown-node');
    expect(!r.ok && r.error.hint).toContain('pve1, pve2, pve3');
    expect(() => whatIf(cfg, allUp(cfg), { nodes: ['pve9'], qdevice: false })).toThrow(RangeError);
  });

  it('refuses qdevice on a cluster without one', () => {
    const cfg = cluster(3);
    const r = checkWhatIf(cfg, allUp(cfg), { nodes: [], qdevice: true });
    expect(!r.ok && r.error.code).toBe('whatif.no-qdevice');
  });

  it('answers for 64 nodes', () => {
    const cfg = cluster(64);
    const a = whatIf(cfg, allUp(cfg), { nodes: names(1, 2, 3), qdevice: false });
    expect(fig(a.after)).toEqual([true, 61, 64, 33, 28]);
    expect(nodeId(64)).toBe(64);
  });
});
