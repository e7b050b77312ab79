import { describe, expect, it } from 'vitest';
import { clockTime, signedMs } from '../../renderer/src/lib/format';
import { inlineCode } from '../../renderer/src/lib/inline-code';
import { formatRtt, heat, latencyMatrix } from '../../renderer/src/lib/latency';
import { explainQdeviceFlags, qdeviceVoting } from '../../renderer/src/lib/qdevice-flags';
import { canLoseText, gaugeModel, presentVotes } from '../../renderer/src/lib/quorum';
import type { LinkPairLatency } from '../../engine/api/contract';
import { windowError, windowWording } from '../../renderer/src/lib/window-error';
import { tabTitle } from '../../renderer/src/lib/tab-title';
import { machineRole, roleLabel } from '../../renderer/src/lib/machine-role';
import type { ClusterStatus } from '../../engine/api/contract';

const pair = (
  from: string,
  to: string,
  rttAvgMs: number,
  status: LinkPairLatency['status'] = 'pass',
): LinkPairLatency => ({ from, to, udpReachable: true, rttAvgMs, jitterMs: 0.01, lossPercent: 0, status });

describe('QDevice flags in plain words', () => {
  it('explains each flag corosync-quorumtool prints and marks the unhealthy ones', () => {
    const flags = explainQdeviceFlags('A,NV,NMW');
    expect(flags.map((f) => [f.flag, f.label, f.good])).toEqual([
      ['A', 'Alive', true],
      ['NV', 'No vote', false],
      ['NMW', 'Not master wins', true],
    ]);
  });

  it('keeps a flag it does not know instead of hiding it', () => {
    expect(explainQdeviceFlags('A V XYZ')[2]).toMatchObject({ flag: 'XYZ', good: false });
  });

  it('counts the QDevice vote only when alive and voting', () => {
    expect(qdeviceVoting('A,V,NMW')).toBe(true);
    expect(qdeviceVoting('A,NV,NMW')).toBe(false);
    expect(qdeviceVoting('NA,V')).toBe(false);
    expect(qdeviceVoting('NR')).toBe(false);
  });
});

describe('quorum gauge', () => {
  it('puts the quorum mark at quorum/expected and reports the margin', () => {
    const g = gaugeModel(3, 3, 5);
    expect(g.quorumMark).toBe(60);
    expect(g.present).toBe(60);
    expect(g.margin).toBe(0);
  });

  it('never draws past the scale when more votes are present than expected', () => {
    const g = gaugeModel(4, 2, 3);
    expect(g.scale).toBe(4);
    expect(g.present).toBe(100);
  });

  it('sums online votes and the QDevice vote', () => {
    expect(
      presentVotes(
        [
          { votes: 1, online: true },
          { votes: 2, online: false },
          { votes: 1, online: true },
        ],
        1,
      ),
    ).toBe(3);
  });

  it('words can-lose with singular and plural', () => {
    expect(canLoseText(0)).toBe('cannot lose any node');
    expect(canLoseText(1)).toBe('can lose 1 node');
    expect(canLoseText(2)).toBe('can lose 2 nodes');
  });
});

describe('latency heat map', () => {
  it('builds a from×to matrix with empty diagonal and unmeasured pairs as null', () => {
    const m = latencyMatrix([pair('a', 'b', 0.3), pair('b', 'a', 0.4), pair('a', 'c', 5, 'warn')]);
    expect(m.machines).toEqual(['a', 'b', 'c']);
    expect(m.rows[0]![0]!.pair).toBeNull();
    expect(m.rows[0]![2]!.pair?.rttAvgMs).toBe(5);
    expect(m.rows[2]![0]!.pair).toBeNull();
    expect(heat(m.rows[0]![2]!.pair)).toBe('warn');
    expect(heat(null)).toBe('none');
  });

  it('says "no answer" for an unreachable pair instead of a meaningless number', () => {
    expect(formatRtt({ ...pair('a', 'b', 0), udpReachable: false })).toBe('no answer');
    expect(formatRtt(pair('a', 'b', 0.4213))).toBe('0.42 ms');
    expect(formatRtt(pair('a', 'b', 12.6))).toBe('13 ms');
  });
});

describe('text helpers', () => {
  it('renders backticked commands as code parts', () => {
    expect(inlineCode('run `corosync-cfgtool -s` on it')).toEqual([
      { text: 'run ', code: false },
      { text: 'corosync-cfgtool -s', code: true },
      { text: ' on it', code: false },
    ]);
  });

  it('signs offsets and adds the date for entries from another day', () => {
    expect(signedMs(-3.444)).toBe('−3.44 ms');
    expect(signedMs(212)).toBe('+212 ms');
    const now = Date.UTC(2026, 10, 22, 12);
    const today = clockTime(now - 60_000, now);
    const older = clockTime(now - 3 * 86_400_000, now);
    expect(older.endsWith(clockTime(now - 3 * 86_400_000, now - 3 * 86_400_000))).toBe(true);
    expect(older.length).toBeGreaterThan(today.length);
  });
});

describe('engine errors in window words', () => {
  const cliHints = [
    'Fix the cause shown, then run the same command again: it continues where it stopped (or add --rollback to undo).',
    'Finish it first (run that command again) or undo it (the same command with --rollback); nothing was changed now.',
    'Check that the machine is up and reachable over SSH, then run the command again.',
    'could not reach x. Nothing more was changed; run the same command again to continue.',
    'Run the same operation again: it resumes where it stopped, or rolls back.',
    'The Proxmox docs discourage this. If you accept the trade-off, run again with --yes.',
    'Bring the other nodes back first. To remove anyway, pass --force and type the cluster name (lab) to confirm.',
  ];

  it.each(cliHints)('rephrases %j without command lines or flags', (hint) => {
    for (const resumable of [false, true]) {
      const out = windowWording(hint, { resumable });
      expect(out).not.toMatch(/same command|command again|--[a-z]/);
    }
  });

  it('names the Resume and Roll back buttons only where the dialog shows them', () => {
    const hint = cliHints[0]!;
    expect(windowWording(hint, { resumable: true })).toContain('press Resume');
    expect(windowWording(hint, { resumable: true })).toContain('Roll back');
    expect(windowWording(hint)).not.toMatch(/Resume|Roll back/);
  });

  it('never leaves a raw code as the only text', () => {
    const e = windowError({ code: 'ops.step-failed', message: 'ops.step-failed', hint: '' });
    expect(e.message).not.toContain('ops.step-failed');
    expect(e.hint).not.toBe('');
    expect(e.code).toBe('ops.step-failed');
  });
});

describe('the tab title', () => {
  it('shows the worst cluster state, and only the product name without clusters', () => {
    expect(tabTitle([])).toBe('Quorate');
    expect(tabTitle([{ name: 'homelab', state: 'quorate' }])).toBe('homelab: quorate — Quorate');
    expect(
      tabTitle([
        { name: 'homelab', state: 'quorate' },
        { name: 'lab', state: 'inquorate' },
      ]),
    ).toBe('⚠ lab: NOT quorate (+1) — Quorate');
    expect(tabTitle([{ name: 'homelab', state: 'degraded' }])).toBe('homelab: degraded — Quorate');
  });
});

describe('machine roles on the Machines page', () => {
  const status: ClusterStatus = {
    name: 'homelab',
    state: 'degraded',
    quorate: true,
    expectedVotes: 5,
    totalVotes: 4,
    quorum: 3,
    canLose: 0,
    nodes: [
      { name: 'pve1', nodeid: 1, votes: 1, online: true, machine: '198.18.0.11' },
      { name: 'pve2', nodeid: 2, votes: 1, online: false, machine: '198.18.0.12' },
    ],
    qdevice: { host: '198.18.0.15', algorithm: 'ffsplit', votes: 1, flags: 'A,V,NMW' },
    links: [],
    reporter: 'pve1',
    updatedAt: 0,
  };
  const m = (address: string, cluster: string | null = 'homelab') => ({ address, hostname: null, cluster });

  it('names the node and says when corosync has lost it; the qnetd host is the QDevice, not a node', () => {
    expect(machineRole(m('198.18.0.11'), { homelab: status })).toEqual({
      role: 'node',
      cluster: 'homelab',
      node: 'pve1',
      online: true,
    });
    expect(machineRole(m('198.18.0.12'), { homelab: status })).toMatchObject({ online: false });
    const q = machineRole(m('198.18.0.15'), { homelab: status });
    expect(roleLabel(m('198.18.0.15'), q)).toBe('QDevice of homelab');
    expect(roleLabel(m('198.18.0.11'), machineRole(m('198.18.0.11'), { homelab: status }))).toBe('pve1 in homelab');
    expect(machineRole(m('198.18.0.12'), { homelab: { ...status, reporter: null } })).toMatchObject({ online: null });
    expect(roleLabel(m('198.18.0.99', null), null)).toBeNull();
  });
});
