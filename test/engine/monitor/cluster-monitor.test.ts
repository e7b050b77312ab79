import { describe, expect, it } from 'vitest';
import { createClusterMonitor, DEPARTURE_WAIT_MS, LOSS_SETTLE_MS } from '../../../engine/monitor/cluster-monitor';
import type { QuorumView, WatchedCluster } from '../../../engine/monitor/health';
import { clusterHealth, worstState } from '../../../engine/monitor/health';

const three: WatchedCluster = { name: 'homelab', nodes: ['pve1', 'pve2', 'pve3'], qdevice: false };
const twoWithQdevice: WatchedCluster = { name: 'pair', nodes: ['a', 'b'], qdevice: true };

function view(
  reporter: string,
  quorate: boolean,
  members: readonly string[],
  qdevice?: QuorumView['qdevice'],
): QuorumView {
  return qdevice ? { reporter, quorate, members, qdevice } : { reporter, quorate, members };
}

/** A hand-driven clock: tests move time, nothing sleeps. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function allUp(m: ReturnType<typeof createClusterMonitor>): void {
  for (const n of three.nodes) {
    m.report(view(n, true, three.nodes));
  }
}

describe('cluster health', () => {
  it('counts the largest quorate partition and lists the nodes outside it', () => {
    const h = clusterHealth(three, [
      view('pve1', true, ['pve1', 'pve2']),
      view('pve2', true, ['pve1', 'pve2']),
      view('pve3', false, ['pve3']),
    ]);
    expect(h).toMatchObject({ state: 'degraded', quorate: true, members: ['pve1', 'pve2'], missing: ['pve3'] });
  });

  it('ignores the last view of a cut-off node that its peers no longer see', () => {
    const stale = view('pve3', true, ['pve1', 'pve2', 'pve3']);
    const h = clusterHealth(three, [view('pve1', true, ['pve1', 'pve2']), view('pve2', true, ['pve1', 'pve2']), stale]);
    expect(h).toMatchObject({ state: 'degraded', members: ['pve1', 'pve2'], missing: ['pve3'] });
    const lost = clusterHealth(three, [
      view('pve1', false, ['pve1']),
      view('pve2', true, three.nodes),
      view('pve3', true, three.nodes),
    ]);
    expect(lost).toMatchObject({ state: 'inquorate', quorate: false, members: ['pve1'] });
  });

  it('is inquorate when no node reports quorum, and unknown when no agent reports at all', () => {
    expect(clusterHealth(three, [view('pve1', false, ['pve1'])]).state).toBe('inquorate');
    expect(clusterHealth(three, []).state).toBe('unknown');
  });

  it('calls a quorate cluster whose nodes lost the QDevice vote degraded', () => {
    const h = clusterHealth(twoWithQdevice, [view('a', true, ['a', 'b'], { alive: true, vote: false })]);
    expect(h).toMatchObject({ state: 'degraded', qdevice: 'unreachable' });
  });

  it('orders states for the tray: inquorate is worse than unknown, which is worse than degraded', () => {
    const healths = [clusterHealth(three, [view('pve1', true, three.nodes)]), clusterHealth(twoWithQdevice, [])];
    expect(worstState(healths)).toBe('unknown');
    expect(worstState([...healths, clusterHealth(three, [view('pve1', false, ['pve1'])])])).toBe('inquorate');
    expect(worstState([])).toBe('quorate');
  });
});

describe('cluster monitor', () => {
  it('says nothing at start-up when the cluster is found quorate', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    expect(m.poll()).toEqual([]);
    expect(m.health().state).toBe('quorate');
  });

  it('raises quorum lost only once the loss has held for the settle time', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    c.advance(5_000);
    const lostAt = c.now();
    expect(m.report(view('pve1', false, ['pve1']))).toEqual([]);
    m.unreachable('pve2');
    m.unreachable('pve3');
    expect(m.nextDueAt()).toBe(lostAt + 300);
    c.advance(299);
    expect(m.poll()).toEqual([]);
    expect(m.health().state).toBe('quorate');
    c.advance(1);
    const notices = m.poll();
    expect(notices[0]).toMatchObject({
      kind: 'quorum-lost',
      cluster: 'homelab',
      severity: 'critical',
      seenAt: lostAt,
      at: lostAt + 300,
    });
    expect(notices[0]!.guidance.join(' ')).toMatch(/expected votes/);
    expect(
      notices
        .filter((n) => n.kind === 'node-lost')
        .map((n) => n.node)
        .sort(),
    ).toEqual(['pve2', 'pve3']);
    expect(m.health().state).toBe('inquorate');
    expect(m.nextDueAt()).toBeUndefined();
  });

  it('forgets a loss that reverts before it settles (a flap raises nothing)', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    m.report(view('pve1', false, ['pve1']));
    m.unreachable('pve2');
    m.unreachable('pve3');
    c.advance(200);
    allUp(m);
    expect(m.nextDueAt()).toBeUndefined();
    c.advance(1_000);
    expect(m.poll()).toEqual([]);
    expect(m.health().state).toBe('quorate');
  });

  it('raises lost, then regained with the nodes back, in order', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    const kinds: string[] = [];
    m.report(view('pve1', false, ['pve1']));
    m.report(view('pve2', false, ['pve2']));
    m.report(view('pve3', false, ['pve3']));
    c.advance(300);
    kinds.push(...m.poll().map((n) => n.kind));
    c.advance(10_000);
    allUp(m);
    c.advance(300);
    const regained = m.poll();
    kinds.push(...regained.map((n) => n.kind));
    expect(kinds).toEqual(['quorum-lost', 'node-lost', 'node-lost', 'quorum-regained', 'node-joined', 'node-joined']);
    expect(regained[0]!.body).toContain('pve1, pve2, pve3');
  });

  it('restarts the settle wait when the situation changes again before it settled', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    const first = c.now();
    m.report(view('pve1', true, ['pve1', 'pve2']));
    m.report(view('pve2', true, ['pve1', 'pve2']));
    m.unreachable('pve3');
    c.advance(200);
    m.report(view('pve1', false, ['pve1']));
    m.unreachable('pve2');
    expect(m.nextDueAt()).toBe(first + 500);
    c.advance(299);
    expect(m.poll()).toEqual([]);
    c.advance(1);
    const notices = m.poll();
    expect(notices.map((n) => n.kind)).toEqual(['quorum-lost', 'node-lost', 'node-lost']);
    expect(notices[0]!.seenAt).toBe(first);
  });

  it('reports one node leaving a quorate cluster as a warning, not a quorum loss', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    m.report(view('pve1', true, ['pve1', 'pve2']));
    m.report(view('pve2', true, ['pve1', 'pve2']));
    m.report(view('pve3', false, ['pve3']));
    c.advance(300);
    const notices = m.poll();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'node-lost', node: 'pve3', severity: 'warning' });
    expect(m.health().state).toBe('degraded');
  });

  it('raises QDevice unreachable when the vote goes, and reachable when it comes back', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: twoWithQdevice, now: c.now, settleMs: 300 });
    m.report(view('a', true, ['a', 'b'], { alive: true, vote: true }));
    m.report(view('b', true, ['a', 'b'], { alive: true, vote: true }));
    c.advance(300);
    expect(m.poll()).toEqual([]);
    m.report(view('a', true, ['a', 'b'], { alive: true, vote: false }));
    m.report(view('b', true, ['a', 'b'], { alive: true, vote: false }));
    c.advance(300);
    expect(m.poll().map((n) => n.kind)).toEqual(['qdevice-unreachable']);
    m.report(view('a', true, ['a', 'b'], { alive: true, vote: true }));
    m.report(view('b', true, ['a', 'b'], { alive: true, vote: true }));
    c.advance(300);
    expect(m.poll().map((n) => n.kind)).toEqual(['qdevice-reachable']);
  });

  it('does not call every agent going silent a node leaving', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    for (const n of three.nodes) {
      m.unreachable(n);
    }
    c.advance(300);
    expect(m.poll()).toEqual([]);
    expect(m.health().state).toBe('unknown');
  });

  it('ignores views from nodes that are not in the nodelist', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 0, lossSettleMs: 0 });
    expect(m.report(view('intruder', false, ['intruder']))).toEqual([]);
    expect(m.current().state).toBe('unknown');
  });

  describe('a node that leaves while its own agent has not spoken yet', () => {
    const stopped = (reporter: string): QuorumView => ({ reporter, quorate: false, members: [], stopped: true });
    const survivorsSee = (m: ReturnType<typeof createClusterMonitor>): void => {
      m.report(view('pve1', true, ['pve1', 'pve2']));
      m.report(view('pve2', true, ['pve1', 'pve2']));
    };
    const settledUp = (): { c: ReturnType<typeof clock>; m: ReturnType<typeof createClusterMonitor> } => {
      const c = clock();
      const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300, lossSettleMs: 300 });
      allUp(m);
      c.advance(300);
      m.poll();
      return { c, m };
    };

    it('says "left" when its agent reports corosync stopped after the survivors’ new ring (a clean stop)', () => {
      const { c, m } = settledUp();
      const seen = c.now();
      survivorsSee(m); // pve3's last view still lists all three: its poll is blocked while corosync stops
      c.advance(300);
      expect(m.poll()).toEqual([]);
      expect(m.health()).toMatchObject({ state: 'degraded', missing: ['pve3'] });
      expect(m.nextDueAt()).toBe(seen + 300 + DEPARTURE_WAIT_MS);
      c.advance(1100);
      const notices = m.report(stopped('pve3'));
      expect(notices.map((n) => `${n.kind} ${n.node} ${n.severity}`)).toEqual(['node-left pve3 info']);
      expect(notices[0]).toMatchObject({ seenAt: seen, at: seen + 1400 });
      c.advance(DEPARTURE_WAIT_MS);
      expect(m.poll()).toEqual([]);
    });

    it('says "lost" once the wait is over when its agent stays silent (a cut whose stream is frozen)', () => {
      const { c, m } = settledUp();
      survivorsSee(m);
      c.advance(300);
      expect(m.poll()).toEqual([]);
      c.advance(DEPARTURE_WAIT_MS - 1);
      expect(m.poll()).toEqual([]);
      c.advance(1);
      expect(m.poll().map((n) => `${n.kind} ${n.node}`)).toEqual(['node-lost pve3']);
      expect(m.nextDueAt()).toBeUndefined();
    });

    it('says "lost" at once when its agent reports a ring of its own, or its stream ends', () => {
      const { c, m } = settledUp();
      survivorsSee(m);
      c.advance(300);
      m.poll();
      expect(m.report(view('pve3', false, ['pve3'])).map((n) => `${n.kind} ${n.node}`)).toEqual(['node-lost pve3']);

      const other = settledUp();
      survivorsSee(other.m);
      other.c.advance(300);
      other.m.poll();
      expect(other.m.unreachable('pve3').map((n) => `${n.kind} ${n.node}`)).toEqual(['node-lost pve3']);
    });

    it('says "lost", then "back", when it returns before its agent spoke', () => {
      const { c, m } = settledUp();
      survivorsSee(m);
      c.advance(300);
      m.poll();
      c.advance(500);
      allUp(m);
      c.advance(300);
      expect(m.poll().map((n) => `${n.kind} ${n.node}`)).toEqual(['node-lost pve3', 'node-joined pve3']);
    });
  });

  it('notifies at once with a settle time of zero', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 0, lossSettleMs: 0 });
    expect(m.report(view('pve1', false, ['pve1'])).map((n) => n.kind)).toEqual(['quorum-lost']);
  });
});

describe('the health rule (issue 9 §2)', () => {
  const four: WatchedCluster = { name: 'c', nodes: ['n1', 'n2', 'n3', 'n4'], qdevice: false };
  const ringed = (reporter: string, quorate: boolean, members: string[], ringId: string): QuorumView => ({
    reporter,
    quorate,
    members,
    ringId,
  });

  it.each([
    {
      case: 'a stopped node says nothing, even before its peers notice',
      views: [
        ringed('n1', true, ['n1', 'n2', 'n3', 'n4'], '1.9'),
        ringed('n2', true, ['n1', 'n2', 'n3', 'n4'], '1.9'),
        { reporter: 'n4', quorate: false, members: [], stopped: true },
      ],
      want: { quorate: true, members: ['n1', 'n2', 'n3'], missing: ['n4'], stopped: ['n4'] },
    },
    {
      case: "a healed node's late 'just me' loses to the merged ring that lists it",
      views: [
        ringed('n1', true, ['n1', 'n2', 'n3', 'n4'], '1.1a'),
        ringed('n2', true, ['n1', 'n2', 'n3', 'n4'], '1.1a'),
        ringed('n4', false, ['n4'], '1.16'),
      ],
      want: { quorate: true, members: ['n1', 'n2', 'n3', 'n4'], missing: [], stopped: [] },
    },
    {
      case: "a cut node's frozen 'all of us' loses to the survivors' newer ring",
      views: [ringed('n1', false, ['n1'], '1.26'), ringed('n2', true, ['n1', 'n2', 'n3', 'n4'], '1.22')],
      want: { quorate: false, members: ['n1'], missing: ['n2', 'n3', 'n4'], stopped: [] },
    },
    {
      case: 'two sides that do not list each other both count: the quorate one is shown',
      views: [ringed('n1', true, ['n1', 'n2'], '1.1e'), ringed('n3', false, ['n3', 'n4'], '3.1e')],
      want: { quorate: true, members: ['n1', 'n2'], missing: ['n3', 'n4'], stopped: [] },
    },
    {
      case: "a starting node's ring of its own (newer) does not outdate the others' quorate ring that still lists it",
      views: [
        ringed('n1', true, ['n1', 'n2', 'n3', 'n4'], '1.12'),
        ringed('n2', true, ['n1', 'n2', 'n3', 'n4'], '1.12'),
        { ...ringed('n4', false, ['n4'], '4.17'), starting: true },
      ],
      want: { quorate: true, members: ['n1', 'n2', 'n3'], missing: ['n4'], stopped: [] },
    },
    {
      case: 'a starting node alone, nobody else reporting: its own inquorate view is the truth',
      views: [{ ...ringed('n4', false, ['n4'], '4.17'), starting: true }],
      want: { quorate: false, members: ['n4'], missing: ['n1', 'n2', 'n3'], stopped: [] },
    },
    {
      case: 'corosync stopped everywhere reachable: not quorate, everyone stopped',
      views: [
        { reporter: 'n1', quorate: false, members: [], stopped: true },
        { reporter: 'n2', quorate: false, members: [], stopped: true },
      ],
      want: { quorate: false, members: [], missing: ['n1', 'n2', 'n3', 'n4'], stopped: ['n1', 'n2'] },
    },
  ])('$case', ({ views, want }) => {
    expect(clusterHealth(four, views)).toMatchObject(want);
  });

  it('treats a node as starting from a stop until it lists a peer: a later split of that node counts again', () => {
    const four: WatchedCluster = { name: 'c', nodes: ['n1', 'n2', 'n3', 'n4'], qdevice: false };
    const all = ['n1', 'n2', 'n3', 'n4'];
    const c = clock();
    const m = createClusterMonitor({ cluster: four, now: c.now, settleMs: 0 });
    for (const n of ['n1', 'n2', 'n3']) {
      m.report(ringed(n, true, all, '1.12'));
    }
    m.report({ reporter: 'n4', quorate: false, members: [], stopped: true });
    // Restarted: alone in a newer ring while the others' corosync has not noticed yet.
    m.report(ringed('n4', false, ['n4'], '4.17'));
    expect(m.current()).toMatchObject({ quorate: true, members: ['n1', 'n2', 'n3'], missing: ['n4'] });
    // Merged: a member again, no longer starting.
    for (const n of all) {
      m.report(ringed(n, true, all, '1.1b'));
    }
    expect(m.current()).toMatchObject({ quorate: true, missing: [] });
    // Now n4 is alone in a newer ring without having stopped (cut): that ring outdates the others'
    // older one that lists it, as before (their corosync is about to report the split).
    m.report(ringed('n4', false, ['n4'], '4.1f'));
    expect(m.current()).toMatchObject({ quorate: false, members: ['n4'] });
  });

  it('debounces quorum lost over corosync’s own settle time by default, other news over the settle time', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 300 });
    allUp(m);
    c.advance(300);
    m.poll();
    const at = c.now();
    m.report(view('pve1', false, ['pve1']));
    m.unreachable('pve2');
    m.unreachable('pve3');
    expect(m.nextDueAt()).toBe(at + LOSS_SETTLE_MS);
    c.advance(LOSS_SETTLE_MS - 1);
    expect(m.poll()).toEqual([]);
    c.advance(1);
    expect(m.poll()[0]).toMatchObject({ kind: 'quorum-lost', severity: 'critical' });
    allUp(m);
    expect(m.nextDueAt()).toBe(c.now() + 300);
  });

  it('says a new node joined the cluster, and a node back is back; a node taken off the nodelist was removed', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: three, now: c.now, settleMs: 0, lossSettleMs: 0 });
    allUp(m);
    const withFour: WatchedCluster = { ...three, nodes: [...three.nodes, 'pve4'] };
    m.setCluster(withFour);
    const four = [...withFour.nodes];
    const joined = [...four.map((n) => m.report(view(n, true, four)))].flat();
    expect(joined.map((n) => n.title)).toEqual(['homelab: pve4 joined the cluster']);
    m.report(view('pve4', false, [], undefined));
    const removed = m.setCluster(three);
    expect(removed.map((n) => [n.kind, n.severity, n.title])).toEqual([
      ['node-left', 'info', 'homelab: pve4 removed from the cluster'],
    ]);
  });

  it('is quorate at once when the node that was down is taken off the nodelist, with no notice (remove)', () => {
    const c = clock();
    const withFour: WatchedCluster = { ...three, nodes: [...three.nodes, 'pve4'] };
    const m = createClusterMonitor({ cluster: withFour, now: c.now, settleMs: 2000, lossSettleMs: 0 });
    for (const n of three.nodes) {
      m.report(view(n, true, three.nodes));
    }
    m.report({ reporter: 'pve4', quorate: false, members: [], stopped: true });
    c.advance(2000);
    m.poll();
    expect(m.health()).toMatchObject({ state: 'degraded', missing: ['pve4'], stopped: ['pve4'] });
    expect(m.setCluster(three)).toEqual([]);
    expect(m.health()).toMatchObject({ state: 'quorate', nodes: three.nodes, missing: [], stopped: [] });
    expect(m.nextDueAt()).toBeUndefined();
  });

  it('drops an unreachable QDevice from the health at once when the QDevice is removed', () => {
    const c = clock();
    const m = createClusterMonitor({ cluster: twoWithQdevice, now: c.now, settleMs: 2000, lossSettleMs: 0 });
    for (const n of twoWithQdevice.nodes) {
      m.report(view(n, true, twoWithQdevice.nodes, { alive: false, vote: false }));
    }
    c.advance(2000);
    m.poll();
    expect(m.health()).toMatchObject({ state: 'degraded', qdevice: 'unreachable' });
    expect(m.setCluster({ ...twoWithQdevice, qdevice: false })).toEqual([]);
    expect(m.health()).toMatchObject({ state: 'quorate', qdevice: 'none' });
  });
});
