import { describe, expect, it } from 'vitest';
import type { QuorumStatusFact, QuorumWatchEvent } from '../../../engine/agent/protocol';
import { reporterOf } from '../../../engine/api/watch-status';
import { canLoseNow } from '../../../engine/model';

/** One node's agent event: corosync's status with `members` (1 vote each), expected votes 4. */
function event(local: string, members: readonly string[], ringId: string): QuorumWatchEvent {
  const status: QuorumStatusFact = {
    quorate: true,
    ringId,
    nodes: members.length,
    expectedVotes: 4,
    totalVotes: members.length,
    quorum: 3,
    flags: ['Quorate'],
    members: members.map((name, i) => ({ nodeid: i + 1, votes: 1, qdeviceFlags: [], name, local: name === local })),
    qdeviceVotes: null,
  };
  return { kind: 'quorum', at: 1, running: true, status };
}

describe('the node whose figures the status shows', () => {
  const four = ['node1', 'node2', 'node3', 'node4'];

  it('is a member whose own membership is the partition shown, not the first by name still on the old ring', () => {
    // Right after node4 joined: node1's agent has not polled the new ring yet.
    const latest = new Map([
      ['node1', event('node1', ['node1', 'node2', 'node3'], '1.8')],
      ['node2', event('node2', four, '1.c')],
      ['node3', event('node3', four, '1.c')],
      ['node4', event('node4', four, '1.c')],
    ]);
    const reporter = reporterOf(four, latest);
    expect(reporter).toBe('node2');
    expect(canLoseNow(latest.get(reporter!)!.status!)).toBe(1);
    expect(canLoseNow(latest.get('node1')!.status!)).toBe(0);
  });

  it('prefers the newest ring among matching views, and falls back to any member with a status', () => {
    const latest = new Map([
      ['node1', event('node1', four, '1.8')],
      ['node2', event('node2', four, '1.c')],
    ]);
    expect(reporterOf(four, latest)).toBe('node2');
    const none = new Map([['node3', event('node3', ['node3'], '3.10')]]);
    expect(reporterOf(four, none)).toBe('node3');
    expect(reporterOf([], new Map())).toBeNull();
  });
});
