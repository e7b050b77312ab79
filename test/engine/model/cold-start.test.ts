import { describe, expect, it } from 'vitest';
import { quorumWait, type LiveQuorum } from '../../../engine/model';
import { cluster, names } from './fixtures';

const live = (members: string[], votes: number, quorate = false): LiveQuorum => ({
  members,
  quorate,
  totalVotes: votes,
  expectedVotes: 3,
  quorum: 2,
  qdeviceVoting: false,
});

describe('quorumWait (cold start)', () => {
  it('with wait_for_all: enough votes, but it waits for the node not back yet', () => {
    const w = quorumWait(cluster(3, { waitForAll: true }), live(names(1, 2), 2));
    expect(w).toMatchObject({ waiting: true, missing: ['pve3'], blockedByWaitForAll: true });
    expect(w.text).toBe(
      '2 of 3 votes needed, 2 present: pve3 is not back yet; with wait_for_all the cluster waits for every node',
    );
  });

  it('without wait_for_all: names every missing node', () => {
    const w = quorumWait(cluster(3), live(names(1), 1));
    expect(w.text).toBe('2 of 3 votes needed, 1 present: pve2, pve3 are not back yet');
    expect(w.blockedByWaitForAll).toBe(false);
  });

  it('two_node turns wait_for_all on', () => {
    expect(
      quorumWait(cluster(2, { twoNode: true }), { ...live(names(1), 1), expectedVotes: 2, quorum: 1 }).waitForAll,
    ).toBe(true);
  });

  it('a quorate cluster is not waiting', () => {
    expect(quorumWait(cluster(3), live(names(1, 2, 3), 3, true)).waiting).toBe(false);
  });
});
