import { describe, expect, it } from 'vitest';
import { effectiveVotequorum, expectedVotes, qdeviceVotes, quorumFor, waitForAll } from '../../../engine/model';
import { cluster, qdevice } from './fixtures';

describe('expectedVotes', () => {
  it.each([
    ['3 one-vote nodes', cluster(3), 3],
    ['5 nodes, one with 2 votes', cluster([2, 1, 1, 1, 1]), 6],
    ['4 nodes + ffsplit QDevice (votes 1)', cluster(4, { qdevice: qdevice('ffsplit') }), 5],
    ['3 nodes + lms QDevice (default N−1 votes)', cluster(3, { qdevice: qdevice('lms') }), 5],
    ['expected_votes override above the sum', cluster(3, { expectedVotes: 5 }), 5],
    ['expected_votes override below the sum is lifted once everyone joined', cluster(3, { expectedVotes: 2 }), 3],
  ])('%s → %i', (_name, cfg, want) => {
    expect(expectedVotes(cfg)).toBe(want);
  });
});

describe('quorumFor', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [6, 4],
    [7, 4],
    [8, 5],
  ])('expected %i → quorum %i', (expected, want) => {
    expect(quorumFor(expected)).toBe(want);
  });

  it('is 1 with two_node while at most two members are present', () => {
    expect(quorumFor(2, cluster(2, { twoNode: true }))).toBe(1);
  });

  it('is a simple majority with two_node once three members are present', () => {
    expect(quorumFor(3, cluster(3, { twoNode: true }), 3)).toBe(2);
    expect(quorumFor(3, cluster(3, { twoNode: true }), 1)).toBe(1);
  });

  it('ignores two_node when auto_tie_breaker is also set, as corosync does', () => {
    expect(quorumFor(2, cluster(2, { twoNode: true, autoTieBreaker: true }))).toBe(2);
  });
});

describe('qdeviceVotes', () => {
  it('is 0 without a QDevice', () => {
    expect(qdeviceVotes(cluster(4))).toBe(0);
  });

  it('defaults to the nodelist votes minus one, whatever the algorithm', () => {
    expect(qdeviceVotes(cluster(3, { qdevice: qdevice('lms') }))).toBe(2);
    expect(qdeviceVotes(cluster(5, { qdevice: qdevice('lms') }))).toBe(4);
    expect(qdeviceVotes(cluster(4, { qdevice: qdevice('ffsplit', { votes: undefined }) }))).toBe(3);
  });

  it('takes quorum.device.votes when set', () => {
    expect(qdeviceVotes(cluster(4, { qdevice: qdevice('ffsplit') }))).toBe(1);
    expect(qdeviceVotes(cluster(3, { qdevice: qdevice('lms', { votes: 1 }) }))).toBe(1);
  });
});

describe('waitForAll', () => {
  it('follows two_node unless set explicitly', () => {
    expect(waitForAll(cluster(2, { twoNode: true }))).toBe(true);
    expect(waitForAll(cluster(2, { twoNode: true, waitForAll: false }))).toBe(false);
    expect(waitForAll(cluster(3))).toBe(false);
    expect(waitForAll(cluster(3, { waitForAll: true }))).toBe(true);
  });
});

describe('effectiveVotequorum', () => {
  it.each([
    [
      'two_node with a QDevice',
      cluster(2, { twoNode: true, qdevice: qdevice('ffsplit') }),
      /two_node and a quorum device/,
    ],
    [
      'a QDevice with last_man_standing',
      cluster(4, { lastManStanding: true, qdevice: qdevice('ffsplit') }),
      /last_man_standing/,
    ],
    [
      'a QDevice with auto_tie_breaker',
      cluster(4, { autoTieBreaker: true, qdevice: qdevice('ffsplit') }),
      /auto_tie_breaker/,
    ],
    [
      'expected_votes with a QDevice of default votes',
      cluster(3, { expectedVotes: 5, qdevice: qdevice('lms') }),
      /device.votes must be set/,
    ],
    [
      'uneven node votes with a QDevice of default votes',
      cluster([2, 1, 1], { qdevice: qdevice('lms') }),
      /not every node has 1 vote/,
    ],
    [
      'ATB + LMS on an odd vote count without wait_for_all',
      cluster(3, { autoTieBreaker: true, lastManStanding: true }),
      /odd number of votes/,
    ],
  ])('refuses to start with %s', (_name, cfg, why) => {
    expect(effectiveVotequorum(cfg).fatal).toMatch(why);
  });

  it('starts with an ordinary configuration', () => {
    expect(effectiveVotequorum(cluster(3)).fatal).toBeUndefined();
  });

  it('drops auto_tie_breaker on an odd vote count without wait_for_all, keeps it with wait_for_all', () => {
    expect(effectiveVotequorum(cluster(3, { autoTieBreaker: true })).autoTieBreaker).toBeUndefined();
    expect(effectiveVotequorum(cluster(3, { autoTieBreaker: true, waitForAll: true })).autoTieBreaker).toBe('lowest');
  });

  it('drops two_node but keeps its wait_for_all when auto_tie_breaker is set', () => {
    const eff = effectiveVotequorum(cluster(2, { twoNode: true, autoTieBreaker: true }));
    expect(eff.twoNode).toBe(false);
    expect(eff.waitForAll).toBe(true);
  });

  it('drops last_man_standing when a node has more than one vote', () => {
    expect(effectiveVotequorum(cluster([2, 1, 1], { lastManStanding: true })).lastManStanding).toBe(false);
  });

  it('says the QDevice never votes with ffsplit and no explicit votes: 1', () => {
    expect(
      effectiveVotequorum(cluster(4, { qdevice: qdevice('ffsplit', { votes: undefined }) })).qdeviceProblem,
    ).toMatch(/votes set to 1/);
    expect(effectiveVotequorum(cluster(4, { qdevice: qdevice('ffsplit') })).qdeviceProblem).toBeUndefined();
  });
});
