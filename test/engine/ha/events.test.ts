import { describe, expect, it } from 'vitest';
import { createHaEventTracker } from '../../../engine/ha/events';
import type { HaNode, HaStatus } from '../../../engine/ha/types';

const node = (name: string, o: Partial<HaNode> = {}): HaNode => ({
  name,
  online: true,
  standby: false,
  maintenance: false,
  unclean: false,
  isDc: false,
  ...o,
});

function status(vipOn: string | null, o: Partial<HaStatus> = {}): HaStatus {
  return {
    engine: 'pacemaker',
    dc: 'node1',
    quorate: true,
    fencing: false,
    nodes: [node('node1'), node('node2'), node('node3')],
    resources: [
      { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', state: vipOn ? 'started' : 'stopped', node: vipOn, group: null },
    ],
    failures: [],
    ...o,
  };
}

describe('HA events', () => {
  it('the first status is the baseline: only fencing-disabled, once', () => {
    const t = createHaEventTracker();
    expect(t.observe(status('node1'), 1).map((e) => e.kind)).toEqual(['fencing-disabled']);
    expect(t.observe(status('node1'), 2)).toEqual([]);
  });

  it('a failover through a stopped moment is one "moved" naming both nodes', () => {
    const t = createHaEventTracker();
    t.observe(status('node1'), 1);
    const gone = [node('node1', { online: false }), node('node2'), node('node3')];
    expect(t.observe(status(null, { nodes: gone }), 2)).toEqual([]);
    expect(t.observe(status('node3', { nodes: gone }), 3)).toEqual([
      { kind: 'resource-moved', resource: 'vip', from: 'node1', to: 'node3', cause: 'failover', at: 3 },
    ]);
    // node1 comes back; the IP stays (stickiness): nothing.
    expect(t.observe(status('node3'), 4)).toEqual([]);
  });

  it('says standby when the old node was put in standby, move otherwise', () => {
    const t = createHaEventTracker();
    t.observe(status('node1'), 1);
    const sb = [node('node1', { standby: true }), node('node2'), node('node3')];
    expect(t.observe(status('node2', { nodes: sb }), 2)).toMatchObject([
      { cause: 'standby', from: 'node1', to: 'node2' },
    ]);
    expect(t.observe(status('node3', { nodes: sb }), 3)).toMatchObject([{ cause: 'move', from: 'node2', to: 'node3' }]);
  });

  it('reports each failed action once, and again for a new call', () => {
    const t = createHaEventTracker();
    t.observe(status('node1'), 1);
    const f = { resource: 'vip', task: 'monitor', node: 'node1', reason: 'not running', at: 5, call: 8 };
    expect(t.observe(status('node1', { failures: [f] }), 2)).toEqual([
      { kind: 'resource-failed', resource: 'vip', node: 'node1', task: 'monitor', reason: 'not running', at: 2 },
    ]);
    expect(t.observe(status('node1', { failures: [f] }), 3)).toEqual([]);
    expect(t.observe(status('node1', { failures: [{ ...f, call: 9 }] }), 4)).toHaveLength(1);
  });

  it('fencing pending for an unclean node, once until it is clean', () => {
    const t = createHaEventTracker();
    t.observe(status('node1', { fencing: true }), 1);
    const unclean = [node('node1', { online: false, unclean: true }), node('node2'), node('node3')];
    expect(t.observe(status(null, { fencing: true, nodes: unclean }), 2)).toEqual([
      { kind: 'fencing-pending', node: 'node1', at: 2 },
    ]);
    expect(t.observe(status(null, { fencing: true, nodes: unclean }), 3)).toEqual([]);
  });
});
