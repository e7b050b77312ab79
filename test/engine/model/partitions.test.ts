import { describe, expect, it } from 'vitest';
import {
  checkPartitionInput,
  evaluatePartitions,
  nodeId,
  type PartitionInput,
  type VotequorumConfig,
} from '../../../engine/model';
import { cluster, names, qdevice } from './fixtures';

interface Row {
  name: string;
  cfg: VotequorumConfig;
  input: PartitionInput;
  /** Per group: [votes, expected, quorum, quorate]. */
  want: [number, number, number, boolean][];
}

// Each row is a situation a homelab user asks about; the figures are what corosync-quorumtool -s
// prints (rows marked "lab" are replayed against real corosync in votequorum-real.lab.test.ts).
const rows: Row[] = [
  { name: '3 nodes, all up', cfg: cluster(3), input: {}, want: [[3, 3, 2, true]] },
  {
    name: '3 nodes, one cut off (lab)',
    cfg: cluster(3),
    input: { groups: [names(3)] },
    want: [
      [1, 3, 2, false],
      [2, 3, 2, true],
    ],
  },
  {
    name: '3 nodes, two dead',
    cfg: cluster(3),
    input: { groups: [names(1), names(2), names(3)] },
    want: [
      [1, 3, 2, false],
      [1, 3, 2, false],
      [1, 3, 2, false],
    ],
  },
  {
    name: '4 nodes split 2/2 (lab)',
    cfg: cluster(4),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 4, 3, false],
      [2, 4, 3, false],
    ],
  },
  {
    name: '4 nodes, one cut off (lab)',
    cfg: cluster(4),
    input: { groups: [names(4)] },
    want: [
      [1, 4, 3, false],
      [3, 4, 3, true],
    ],
  },
  {
    name: '2 nodes without two_node, one cut off',
    cfg: cluster(2),
    input: { groups: [names(1)] },
    want: [
      [1, 2, 2, false],
      [1, 2, 2, false],
    ],
  },
  {
    name: '2 nodes with two_node, one cut off: both halves stay quorate (lab)',
    cfg: cluster(2, { twoNode: true }),
    input: { groups: [names(1)] },
    want: [
      [1, 2, 1, true],
      [1, 2, 1, true],
    ],
  },
  {
    name: '3 nodes with two_node: an isolated node keeps quorum 1 (lab, by hand)',
    cfg: cluster(3, { twoNode: true }),
    input: { groups: [names(3)] },
    want: [
      [1, 3, 1, true],
      [2, 3, 1, true],
    ],
  },
  {
    name: '5 nodes, pve1 has 2 votes, split {1,2} / {3,4,5} (lab)',
    cfg: cluster([2, 1, 1, 1, 1]),
    input: { groups: [names(1, 2)] },
    want: [
      [3, 6, 4, false],
      [3, 6, 4, false],
    ],
  },
  {
    name: '5 nodes, pve1 has 2 votes, split {1,2,3} / {4,5}',
    cfg: cluster([2, 1, 1, 1, 1]),
    input: { groups: [names(1, 2, 3)] },
    want: [
      [4, 6, 4, true],
      [2, 6, 4, false],
    ],
  },
  {
    name: '4 nodes ATB lowest, split 2/2 (lab)',
    cfg: cluster(4, { autoTieBreaker: true }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 4, 3, true],
      [2, 4, 3, false],
    ],
  },
  {
    name: '4 nodes ATB highest, split 2/2 (lab)',
    cfg: cluster(4, { autoTieBreaker: true, autoTieBreakerNode: 'highest' }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 4, 3, false],
      [2, 4, 3, true],
    ],
  },
  {
    name: '4 nodes ATB list 3 1, split 2/2',
    cfg: cluster(4, { autoTieBreaker: true, autoTieBreakerNode: [nodeId(3), nodeId(1)] }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 4, 3, false],
      [2, 4, 3, true],
    ],
  },
  {
    name: '4 nodes ATB lowest, pve1 dead, others split 2/1: no half',
    cfg: cluster(4, { autoTieBreaker: true }),
    input: { groups: [names(1), names(2, 3), names(4)] },
    want: [
      [1, 4, 3, false],
      [2, 4, 3, false],
      [1, 4, 3, false],
    ],
  },
  {
    name: '4 nodes ATB lowest, pve3 and pve4 dead (lab)',
    cfg: cluster(4, { autoTieBreaker: true }),
    input: { groups: [names(3), names(4)] },
    want: [
      [1, 4, 3, false],
      [1, 4, 3, false],
      [2, 4, 3, true],
    ],
  },
  {
    name: '3 nodes ATB without wait_for_all: corosync drops ATB',
    cfg: cluster(3, { autoTieBreaker: true }),
    input: { groups: [names(1)] },
    want: [
      [1, 3, 2, false],
      [2, 3, 2, true],
    ],
  },
  {
    name: '3 nodes wait_for_all, only 2 ever started (lab)',
    cfg: cluster(3, { waitForAll: true }),
    input: { up: names(1, 2) },
    want: [[2, 3, 2, false]],
  },
  {
    name: '3 nodes wait_for_all, all started, then one cut off',
    cfg: cluster(3, { waitForAll: true }),
    input: { groups: [names(3)] },
    want: [
      [1, 3, 2, false],
      [2, 3, 2, true],
    ],
  },
  {
    name: '3 nodes without wait_for_all, only 2 ever started',
    cfg: cluster(3),
    input: { up: names(1, 2) },
    want: [[2, 3, 2, true]],
  },
  {
    name: '2 nodes two_node, only one ever started',
    cfg: cluster(2, { twoNode: true }),
    input: { up: names(1) },
    want: [[1, 2, 1, false]],
  },
  {
    name: '4 nodes + ffsplit, split 2/2, both reach qnetd (lab, by hand)',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [3, 5, 3, true],
      [2, 5, 3, false],
    ],
  },
  {
    name: '4 nodes + ffsplit tie_breaker highest, split 2/2',
    cfg: cluster(4, { qdevice: qdevice('ffsplit', { tieBreaker: 'highest' }) }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 5, 3, false],
      [3, 5, 3, true],
    ],
  },
  {
    name: '4 nodes + ffsplit tie_breaker node 3, split 2/2',
    cfg: cluster(4, { qdevice: qdevice('ffsplit', { tieBreaker: nodeId(3) }) }),
    input: { groups: [names(1, 2), names(3, 4)] },
    want: [
      [2, 5, 3, false],
      [3, 5, 3, true],
    ],
  },
  {
    name: '4 nodes + ffsplit, split 2/2, only pve3/pve4 reach qnetd',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { groups: [names(1, 2), names(3, 4)], qdeviceReachable: [false, true] },
    want: [
      [2, 5, 3, false],
      [3, 5, 3, true],
    ],
  },
  {
    name: '4 nodes + ffsplit, two dead',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { groups: [names(1, 2), names(3), names(4)], qdeviceReachable: [true, false, false] },
    want: [
      [3, 5, 3, true],
      [1, 5, 3, false],
      [1, 5, 3, false],
    ],
  },
  {
    name: '4 nodes + ffsplit, three dead: a lone node gets no vote',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { groups: [names(1), names(2), names(3), names(4)], qdeviceReachable: [true, false, false, false] },
    want: [
      [1, 5, 3, false],
      [1, 5, 3, false],
      [1, 5, 3, false],
      [1, 5, 3, false],
    ],
  },
  {
    name: '4 nodes + ffsplit, qnetd down, one cut off',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { groups: [names(4)], qdeviceReachable: [false, false] },
    want: [
      [1, 5, 3, false],
      [3, 5, 3, true],
    ],
  },
  {
    name: '4 nodes + ffsplit without votes: 1 → expected 7, no vote (lab, by hand)',
    cfg: cluster(4, { qdevice: qdevice('ffsplit', { votes: undefined }) }),
    input: {},
    want: [[4, 7, 4, true]],
  },
  {
    name: '4 nodes + ffsplit votes 1, cold start with 2: expected stays 4 (lab, by hand)',
    cfg: cluster(4, { qdevice: qdevice('ffsplit') }),
    input: { up: names(1, 2) },
    want: [[3, 4, 3, true]],
  },
  {
    name: '3 nodes + lms, a lone node reaching qnetd survives',
    cfg: cluster(3, { qdevice: qdevice('lms') }),
    input: { groups: [names(1), names(2), names(3)], qdeviceReachable: [false, true, false] },
    want: [
      [1, 5, 3, false],
      [3, 5, 3, true],
      [1, 5, 3, false],
    ],
  },
  {
    name: '3 nodes + lms, split 1/2, both reach qnetd: the larger wins',
    cfg: cluster(3, { qdevice: qdevice('lms') }),
    input: { groups: [names(1), names(2, 3)] },
    want: [
      [1, 5, 3, false],
      [4, 5, 3, true],
    ],
  },
  {
    name: '4 nodes + lms votes 1, split 2/2: lowest connected node wins',
    cfg: cluster(4, { qdevice: qdevice('lms', { votes: 1 }) }),
    input: { groups: [names(3, 4), names(1, 2)] },
    want: [
      [2, 5, 3, false],
      [3, 5, 3, true],
    ],
  },
  {
    name: '5 nodes last_man_standing, 2 cut off: the 3 shrink expected to 3 (lab)',
    cfg: cluster(5, { lastManStanding: true, lastManStandingWindowMs: 3000 }),
    input: { groups: [names(1, 2)] },
    want: [
      [2, 5, 3, false],
      [3, 3, 2, true],
    ],
  },
  {
    name: '5 nodes last_man_standing, 3 cut off: too few to start the window',
    cfg: cluster(5, { lastManStanding: true }),
    input: { groups: [names(1, 2, 3)] },
    want: [
      [3, 3, 2, true],
      [2, 5, 3, false],
    ],
  },
  {
    name: '4 nodes LMS + ATB, split 2/2: the lowest half shrinks to 2',
    cfg: cluster(4, { lastManStanding: true, autoTieBreaker: true }),
    input: { groups: [names(1, 2)] },
    want: [
      [2, 2, 2, true],
      [2, 4, 3, false],
    ],
  },
  {
    name: '3 nodes, expected_votes 2: lifted to 3 once all joined, so two dead lose quorum (lab, by hand)',
    cfg: cluster(3, { expectedVotes: 2 }),
    input: { groups: [names(1), names(2), names(3)] },
    want: [
      [1, 3, 2, false],
      [1, 3, 2, false],
      [1, 3, 2, false],
    ],
  },
  {
    name: '3 nodes, expected_votes 5: quorum 3, so all three are needed',
    cfg: cluster(3, { expectedVotes: 5 }),
    input: {},
    want: [[3, 5, 3, true]],
  },
  {
    name: 'two_node with a QDevice: corosync refuses to start',
    cfg: cluster(2, { twoNode: true, qdevice: qdevice('ffsplit') }),
    input: {},
    want: [[0, 3, 2, false]],
  },
];

describe('evaluatePartitions', () => {
  it.each(rows)('$name', ({ cfg, input, want }) => {
    const got = evaluatePartitions(cfg, input).map((v) => [v.votes, v.expectedVotes, v.quorum, v.quorate]);
    expect(got).toEqual(want);
  });

  it('puts the up nodes no group lists into one last group', () => {
    const verdicts = evaluatePartitions(cluster(5), { groups: [names(2)] });
    expect(verdicts.map((v) => v.nodes)).toEqual([names(2), names(1, 3, 4, 5)]);
  });

  it('lets groups without a qdeviceReachable entry reach qnetd', () => {
    const cfg = cluster(4, { qdevice: qdevice('ffsplit') });
    const short = evaluatePartitions(cfg, { groups: [names(1, 2)], qdeviceReachable: [false] });
    const full = evaluatePartitions(cfg, { groups: [names(1, 2)], qdeviceReachable: [false, true] });
    expect(short).toEqual(full);
    expect(short.map((v) => v.quorate)).toEqual([false, true]);
  });

  it('gives one group of every node by default', () => {
    expect(evaluatePartitions(cluster(3)).map((v) => v.nodes)).toEqual([names(1, 2, 3)]);
  });

  it('explains the arithmetic in the reason', () => {
    const [cut, rest] = evaluatePartitions(cluster(3), { groups: [names(3)] });
    expect(rest!.reason).toBe('2 of 3 votes ≥ quorum 2');
    expect(cut!.reason).toBe('1 of 3 votes < quorum 2');
  });

  it('names the tie-breaker in the reason of the half that keeps quorum', () => {
    const [low] = evaluatePartitions(cluster(4, { autoTieBreaker: true }), { groups: [names(1, 2)] });
    expect(low!.reason).toMatch(/auto_tie_breaker.*lowest node id 1/);
    const [win] = evaluatePartitions(cluster(4, { qdevice: qdevice('ffsplit') }), { groups: [names(1, 2)] });
    expect(win!.reason).toMatch(/QDevice vote.*tie_breaker.*lowest node id, 1/);
  });

  it('says wait_for_all is what blocks a partial cold start', () => {
    const [v] = evaluatePartitions(cluster(2, { twoNode: true }), { up: names(2) });
    expect(v!.reason).toMatch(/^wait_for_all: not all nodes have been seen since cold start/);
  });

  it('blames the missing QDevice vote when wait_for_all waits with every node up', () => {
    const [v] = evaluatePartitions(cluster(4, { waitForAll: true, qdevice: qdevice('ffsplit') }), {
      qdeviceReachable: [false],
    });
    expect(v!.quorate).toBe(false);
    expect(v!.reason).toMatch(/^wait_for_all: the QDevice vote has not been present/);
  });

  it('counts a QDevice vote in votes only when qnetd grants it', () => {
    const [a, b] = evaluatePartitions(cluster(4, { qdevice: qdevice('ffsplit') }), {
      groups: [names(1, 2)],
      qdeviceReachable: [false, false],
    });
    expect([a!.votes, b!.votes]).toEqual([2, 2]);
    expect(a!.reason).toMatch(/cannot reach the QNetd host/);
  });

  it.each([
    [{ up: ['pve9'] }, 'quorum.unknown-node'],
    [{ groups: [['pve1'], ['pve1']] }, 'quorum.node-twice'],
    [{ up: names(1, 2), groups: [names(3)] }, 'quorum.node-not-up'],
    [{ groups: [names(1)], qdeviceReachable: [true, true, false] }, 'quorum.reachable-count'],
  ] as [PartitionInput, string][])('rejects a malformed input (%j → %s)', (input, code) => {
    const checked = checkPartitionInput(cluster(3), input);
    expect(checked.ok ? 'ok' : checked.error.code).toBe(code);
    expect(() => evaluatePartitions(cluster(3), input)).toThrow(RangeError);
  });
});
