/**
 * The monitor's health rule against real corosync sequences recorded in the lab (4 nodes + QDevice;
 * recorded by test/lab/capture-watch-sequences.ts): each node's `corosync-quorumtool -s`, polled
 * every 200 ms as the agent does, replayed through the agent's parser and the monitor with a hand
 * clock. Two replays per sequence: every node heard all along, and "through the cut", where a cut
 * node's reports are held back until it is healed (its SSH stream goes through the cut: the app
 * keeps its last view, then gets the newest one at once).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import { viewFromQuorumEvent } from '../../../engine/monitor/agent-views';
import { createClusterMonitor } from '../../../engine/monitor/cluster-monitor';
import type { ClusterHealth } from '../../../engine/monitor/health';
import type { Notice } from '../../../engine/monitor/notices';

const DIR = fileURLToPath(new URL('./sequences/', import.meta.url));

interface Recorded {
  readonly description: string;
  readonly cluster: string;
  readonly nodes: readonly string[];
  readonly qdevice: boolean;
  readonly marks: readonly { t: number; action: string; nodes: readonly string[] }[];
  readonly samples: readonly { t: number; node: string; exitCode: number; stdout: string }[];
}

interface Replay {
  readonly notices: Notice[];
  /** Every settled health, in order. */
  readonly settled: ClusterHealth[];
  /** Every undebounced health from the first action on (before it, agents are still reporting in), in order. */
  readonly current: ClusterHealth[];
  readonly final: ClusterHealth;
}

function load(name: string): Recorded {
  return JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Recorded;
}

/** As the agent reports it: corosync did not answer when it printed nothing and failed. */
function eventOf(sample: Recorded['samples'][number], at: number): QuorumWatchEvent {
  const running = !(sample.stdout.trim() === '' && sample.exitCode !== 0);
  return { kind: 'quorum', at, running, status: running ? parseQuorumStatus(sample.stdout) : null };
}

function replay(rec: Recorded, mode: 'all' | 'through-cut'): Replay {
  let t = 0;
  const m = createClusterMonitor({
    cluster: { name: rec.cluster, nodes: rec.nodes, qdevice: rec.qdevice },
    now: () => t,
    settleMs: 300,
  });
  const out: Replay = { notices: [], settled: [], current: [], final: m.health() };
  const record = (notices: Notice[]): void => {
    out.notices.push(...notices);
    out.settled.push(m.health());
    if (t >= (rec.marks[0]?.t ?? 0)) {
      out.current.push(m.current());
    }
  };
  const advanceTo = (until: number): void => {
    for (let due = m.nextDueAt(); due !== undefined && due <= until; due = m.nextDueAt()) {
      t = due;
      record(m.poll());
    }
    t = until;
  };
  type Step = { t: number; sample?: Recorded['samples'][number]; mark?: Recorded['marks'][number] };
  const steps: Step[] = [
    ...rec.samples.map((sample) => ({ t: sample.t, sample })),
    ...rec.marks.map((mark) => ({ t: mark.t, mark })),
  ].sort((a, b) => a.t - b.t);
  const cut = new Set<string>();
  const held = new Map<string, Recorded['samples'][number]>();
  for (const step of steps) {
    advanceTo(step.t);
    if (step.mark && mode === 'through-cut') {
      for (const node of step.mark.nodes) {
        if (step.mark.action === 'cut') {
          cut.add(node);
        } else if (step.mark.action === 'heal' && cut.delete(node)) {
          const newest = held.get(node);
          held.delete(node);
          if (newest) {
            record(m.report(viewFromQuorumEvent(node, eventOf(newest, t))));
          }
        }
      }
    }
    if (step.sample) {
      if (cut.has(step.sample.node)) {
        held.set(step.sample.node, step.sample);
      } else {
        record(m.report(viewFromQuorumEvent(step.sample.node, eventOf(step.sample, t))));
      }
    }
  }
  advanceTo(t + 10_000);
  return { ...out, final: m.health() };
}

const summary = (n: Notice): string => `${n.kind}${n.node ? ` ${n.node}` : ''} (${n.severity})`;

describe('recorded corosync sequences (4 nodes + QDevice, lab)', () => {
  it('has every recorded case', () => {
    expect(readdirSync(DIR).sort()).toEqual(
      ['clean-stop', 'cut-heal', 'partition', 'qdevice-loss', 'quorum-loss', 'rejoin', 'restart-kill', 'restart'].map(
        (n) => `${n}.json`,
      ),
    );
  });

  describe.each(['all', 'through-cut'] as const)('replayed with %s', (mode) => {
    it('a clean corosync-cfgtool -H on node4: one "left" (info), no quorum lost', () => {
      const r = replay(load('clean-stop'), mode);
      expect(r.notices.map(summary)).toEqual(['node-left node4 (info)']);
      expect(r.settled.every((h) => h.quorate !== false)).toBe(true);
      expect(r.current.every((h) => h.quorate !== false)).toBe(true);
      expect(r.final).toMatchObject({
        state: 'degraded',
        members: ['node1', 'node2', 'node3'],
        missing: ['node4'],
        stopped: ['node4'],
      });
    });

    it('node4 started again: one "joined", never inquorate', () => {
      const r = replay(load('rejoin'), mode);
      expect(r.notices.map(summary)).toEqual(['node-joined node4 (info)']);
      // The replay starts with node4 already stopped: never seen as a member, so not "again".
      expect(r.notices[0]).toMatchObject({
        title: 'seq: node4 joined the cluster',
        body: 'node4 is in the membership of seq.',
      });
      expect(r.current.every((h) => h.quorate !== false)).toBe(true);
      expect(r.final).toMatchObject({ state: 'quorate', missing: [] });
    });

    it('node4 cut then healed: lost (warning) then back, and no NOT-quorate moment on the survivors', () => {
      const r = replay(load('cut-heal'), mode);
      expect(r.notices.map(summary)).toEqual(['node-lost node4 (warning)', 'node-joined node4 (info)']);
      expect(r.notices[1]!.title).toBe('seq: node4 is back');
      // Not even before debouncing: the healed node's late "just me" is older than the merged ring.
      expect(r.current.every((h) => h.quorate !== false)).toBe(true);
      expect(r.settled.some((h) => h.missing.join() === 'node4' && h.stopped.length === 0)).toBe(true);
      expect(r.final).toMatchObject({ state: 'quorate', members: ['node1', 'node2', 'node3', 'node4'] });
    });

    it('the qnetd host cut then healed: QDevice vote lost then back, quorum kept', () => {
      const r = replay(load('qdevice-loss'), mode);
      expect(r.notices.map(summary)).toEqual(['qdevice-unreachable (warning)', 'qdevice-reachable (info)']);
      expect(r.current.every((h) => h.quorate === true)).toBe(true);
      expect(r.final).toMatchObject({ state: 'quorate', qdevice: 'ok' });
    });

    it('a 2|2 partition: the QDevice side stays quorate, the other side is lost, no quorum lost', () => {
      const r = replay(load('partition'), mode);
      expect(r.notices.map(summary)).toEqual([
        'node-lost node3 (warning)',
        'node-lost node4 (warning)',
        'node-joined node3 (info)',
        'node-joined node4 (info)',
      ]);
      // The side that lost the vote reports its new ring first; the survivors' older ring still lists
      // it for a moment. That is what the loss settle time absorbs: settled health never says inquorate.
      expect(r.settled.every((h) => h.quorate !== false)).toBe(true);
      expect(r.final).toMatchObject({ state: 'quorate', missing: [] });
    });

    it.each([
      ['restart-kill', 'SIGKILL: the others still list node4 in their quorate ring while it reports its own'],
      ['restart', 'SIGTERM: the others form a ring without node4 first'],
    ])('node4 restarted by hand (%s, %s): left then back, never NOT quorate', (name) => {
      const r = replay(load(name), mode);
      expect(r.notices.map(summary)).toEqual(['node-left node4 (info)', 'node-joined node4 (info)']);
      expect(r.current.every((h) => h.quorate !== false)).toBe(true);
      expect(r.settled.every((h) => h.quorate !== false)).toBe(true);
      // While it is in a ring of its own, node4 is not shown in the others' (older) membership.
      expect(r.current.some((h) => h.members.join() === 'node1,node2,node3' && h.missing.join() === 'node4')).toBe(
        true,
      );
      expect(r.final).toMatchObject({ state: 'quorate', missing: [] });
    });

    it('node4 restarted by hand while the other agents lag 2.5 s behind (load): no quorum lost', () => {
      // A busy machine: node1-3's polls after the restart reach the app 2.5 s late, so their last
      // view still lists node4 in their quorate ring when node4 reports its ring of its own.
      const rec = load('restart');
      const at = rec.marks[0]!.t;
      const lagged: Recorded = {
        ...rec,
        samples: rec.samples.map((s) => (s.node !== 'node4' && s.t > at ? { ...s, t: s.t + 2500 } : s)),
      };
      const r = replay(lagged, mode);
      expect(r.notices.map((n) => n.kind)).not.toContain('quorum-lost');
      expect(r.current.every((h) => h.quorate !== false)).toBe(true);
      expect(r.final).toMatchObject({ state: 'quorate', missing: [] });
    });

    it('nodes 2-4 cut: quorum lost once (critical), then regained once', () => {
      const r = replay(load('quorum-loss'), mode);
      const kinds = r.notices.map((n) => n.kind);
      expect(kinds.filter((k) => k === 'quorum-lost')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'quorum-regained')).toHaveLength(1);
      expect(kinds.indexOf('quorum-lost')).toBeLessThan(kinds.indexOf('quorum-regained'));
      const lost = r.notices.find((n) => n.kind === 'quorum-lost')!;
      expect(lost).toMatchObject({ severity: 'critical' });
      expect(lost.body).toContain('node1');
      expect(r.final).toMatchObject({ state: 'quorate', missing: [] });
    });
  });
});
