import { describe, expect, it } from 'vitest';
import { runPreflight, summariseProbe } from '../../../engine/preflight';
import { clockOffsetsFromMedian } from '../../../engine/preflight/checks';
import type { Check, LinkMeasurement, MachineFacts, PreflightInput } from '../../../engine/preflight';

function machine(i: number, over: Partial<MachineFacts> = {}): MachineFacts {
  return {
    machine: `198.18.9.${i}`,
    hostname: `node${i}`,
    corosyncVersion: '3.1.7',
    qdeviceInstalled: true,
    pveVersion: null,
    interfaces: [{ name: 'eth0', addresses: [`198.18.9.${i}/24`] }],
    ntpSynchronized: true,
    hasCorosyncConf: false,
    hasAuthkey: false,
    corosyncRunning: false,
    guests: [],
    cpuVendor: 'GenuineIntel',
    ...over,
  };
}

function meshOf(ms: MachineFacts[], m: Partial<LinkMeasurement> = {}): LinkMeasurement[] {
  const out: LinkMeasurement[] = [];
  for (const a of ms) {
    for (const b of ms) {
      if (a !== b) {
        out.push({
          from: a.machine,
          to: b.machine,
          link: 0,
          udpReachable: true,
          rttAvgMs: 0.2,
          jitterMs: 0.05,
          lossPercent: 0,
          ...m,
        });
      }
    }
  }
  return out;
}

function input(
  n: number,
  over: Partial<PreflightInput> = {},
  facts: (i: number) => Partial<MachineFacts> = () => ({}),
): PreflightInput {
  const machines = Array.from({ length: n }, (_, k) => machine(k + 1, facts(k + 1)));
  return {
    mode: 'create',
    machines,
    linkAddresses: Object.fromEntries(machines.map((m) => [m.machine, { 0: m.machine }])),
    measurements: meshOf(machines),
    clockOffsetsMs: Object.fromEntries(machines.map((m) => [m.machine, 3])),
    ...over,
  };
}

const find = (checks: readonly Check[], id: string, subject?: string): Check[] =>
  checks.filter((c) => c.id === `preflight.${id}` && (subject === undefined || c.subject.includes(subject)));

describe('pre-flight', () => {
  it('passes three clean machines on a fast LAN', () => {
    const r = runPreflight(input(3));
    expect(r.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it.each([
    [0.4, 'pass'],
    [2, 'pass'],
    [2.01, 'warn'],
    [4.99, 'warn'],
    [5, 'fail'],
    [12, 'fail'],
  ])('rates an average round trip of %f ms as %s', (rtt, status) => {
    const base = input(2);
    const r = runPreflight({ ...base, measurements: meshOf(base.machines as MachineFacts[], { rttAvgMs: rtt }) });
    expect(find(r.checks, 'latency').map((c) => c.status)).toEqual([status]);
    expect(r.ok).toBe(status !== 'fail');
  });

  it('judges a pair by its worse direction', () => {
    const base = input(2);
    const ms = meshOf(base.machines as MachineFacts[]);
    ms[1] = { ...ms[1]!, rttAvgMs: 6 };
    expect(find(runPreflight({ ...base, measurements: ms }).checks, 'latency')[0]!.status).toBe('fail');
  });

  it.each([
    [0, 'pass'],
    [0.5, 'warn'],
    [2, 'fail'],
  ])('rates %f %% loss as %s', (loss, status) => {
    const base = input(2);
    const r = runPreflight({ ...base, measurements: meshOf(base.machines as MachineFacts[], { lossPercent: loss }) });
    expect(find(r.checks, 'loss')[0]!.status).toBe(status);
  });

  it.each([
    [0.5, 'pass'],
    [1.5, 'warn'],
    [9.9, 'warn'],
    [10, 'fail'],
  ])('rates %f ms jitter as %s', (j, status) => {
    const base = input(2);
    const r = runPreflight({ ...base, measurements: meshOf(base.machines as MachineFacts[], { jitterMs: j }) });
    expect(find(r.checks, 'jitter')[0]!.status).toBe(status);
  });

  it('fails a pair whose corosync ports do not answer in one direction, naming it', () => {
    const base = input(3);
    const ms = meshOf(base.machines as MachineFacts[]).map((m) =>
      m.to === '198.18.9.3' && m.from === '198.18.9.1' ? { ...m, udpReachable: false } : m,
    );
    const r = runPreflight({ ...base, measurements: ms });
    const bad = find(r.checks, 'udp-reachable').filter((c) => c.status === 'fail');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.subject).toBe('198.18.9.1 ↔ 198.18.9.3 link0');
    expect(bad[0]!.measured).toContain('198.18.9.1 → 198.18.9.3');
    expect(bad[0]!.hint).toMatch(/5405–5412/);
    expect(r.ok).toBe(false);
  });

  it('fails a pair that was never measured', () => {
    const base = input(3);
    const r = runPreflight({
      ...base,
      measurements: base.measurements.filter((m) => m.to !== '198.18.9.2' && m.from !== '198.18.9.2'),
    });
    expect(
      find(r.checks, 'udp-reachable')
        .filter((c) => c.status === 'fail')
        .map((c) => c.measured),
    ).toEqual(['not measured', 'not measured']);
  });

  it.each([
    [50, 'pass'],
    [150, 'warn'],
    [1500, 'fail'],
  ])('rates a clock %i ms off the others as %s', (skew, status) => {
    const base = input(3);
    const r = runPreflight({ ...base, clockOffsetsMs: { ...base.clockOffsetsMs, '198.18.9.3': 3 + skew } });
    expect(find(r.checks, 'clock-offset', '198.18.9.3')[0]!.status).toBe(status);
    expect(find(r.checks, 'clock-offset', '198.18.9.1')[0]!.status).toBe('pass');
  });

  it('judges each clock against the median node, the figure the report table shows too', () => {
    const base = input(3);
    const skewed = { ...base, clockOffsetsMs: { '198.18.9.1': 10, '198.18.9.2': 12.04, '198.18.9.3': 7.7 } };
    const rel = clockOffsetsFromMedian(skewed);
    expect(rel).toEqual({
      '198.18.9.1': 0,
      '198.18.9.2': expect.closeTo(2.04, 6),
      '198.18.9.3': expect.closeTo(-2.3, 6),
    });
    const measured = find(runPreflight(skewed).checks, 'clock-offset').map((c) => c.measured);
    expect(measured).toEqual(['0.00 ms from the others', '2.04 ms from the others', '2.30 ms from the others']);
  });

  it('warns when NTP is not synchronised', () => {
    const r = runPreflight(input(3, {}, (i) => (i === 2 ? { ntpSynchronized: false } : {})));
    expect(find(r.checks, 'ntp').map((c) => c.status)).toEqual(['pass', 'warn', 'pass']);
  });

  it('says what the machine reported when it cannot tell whether NTP is synchronised', () => {
    const r = runPreflight(
      input(2, {}, (i) =>
        i === 2 ? { ntpSynchronized: null, ntpSummary: 'no NTP daemon' } : { ntpSynchronized: null },
      ),
    );
    expect(find(r.checks, 'ntp').map((c) => [c.status, c.measured])).toEqual([
      ['warn', 'unknown'],
      ['warn', 'no NTP daemon'],
    ]);
  });

  it('fails when corosync major versions differ, or corosync is missing', () => {
    expect(
      find(
        runPreflight(input(2, {}, (i) => (i === 2 ? { corosyncVersion: '2.4.5' } : {}))).checks,
        'corosync-version',
      )[0]!.status,
    ).toBe('fail');
    expect(
      find(
        runPreflight(input(2, {}, (i) => (i === 2 ? { corosyncVersion: '3.1.2' } : {}))).checks,
        'corosync-version',
      )[0]!.status,
    ).toBe('pass');
    expect(runPreflight(input(2, {}, (i) => (i === 2 ? { corosyncVersion: null } : {}))).ok).toBe(false);
  });

  it('fails when Proxmox VE major.minor differ, but not on a patch difference', () => {
    expect(
      find(runPreflight(input(2, {}, (i) => ({ pveVersion: i === 1 ? '8.2.4' : '8.1.10' }))).checks, 'pve-version')[0]!
        .status,
    ).toBe('fail');
    expect(
      find(runPreflight(input(2, {}, (i) => ({ pveVersion: i === 1 ? '8.2.4' : '8.2.7' }))).checks, 'pve-version')[0]!
        .status,
    ).toBe('pass');
  });

  it('refuses to mix Proxmox VE and plain Debian nodes', () => {
    const r = runPreflight(input(2, {}, (i) => ({ pveVersion: i === 1 ? '8.2.4' : null })));
    expect(find(r.checks, 'pve-mixed')[0]!.status).toBe('fail');
  });

  it('refuses duplicate hostnames', () => {
    const r = runPreflight(input(3, {}, (i) => (i === 3 ? { hostname: 'node1' } : {})));
    expect(find(r.checks, 'hostname-unique').map((c) => c.status)).toEqual(['pass', 'pass', 'fail']);
  });

  it('refuses a link address that is not on any interface of the machine', () => {
    const base = input(2);
    const r = runPreflight({ ...base, linkAddresses: { ...base.linkAddresses, '198.18.9.2': { 0: '198.18.9.77' } } });
    const bad = find(r.checks, 'link-address').filter((c) => c.status === 'fail');
    expect(bad.map((c) => c.subject)).toEqual(['198.18.9.2 link0']);
    expect(bad[0]!.hint).toContain('198.18.9.2/24'.split('/')[0]);
  });

  it.each([
    ['an authkey', { hasAuthkey: true }],
    ['a corosync.conf', { hasCorosyncConf: true, clusterName: 'other' }],
    ['a running corosync', { corosyncRunning: true }],
  ])('refuses a machine that already has %s', (_what, facts) => {
    const r = runPreflight(input(2, {}, (i) => (i === 2 ? facts : {})));
    expect(find(r.checks, 'not-in-cluster').map((c) => c.status)).toEqual(['pass', 'fail']);
    expect(r.ok).toBe(false);
  });

  it('refuses to join a node that holds guests, but lets the founder keep its guests', () => {
    const guests = [{ vmid: 100, name: 'web', kind: 'qemu' as const }];
    const r = runPreflight(input(2, {}, () => ({ guests })));
    const g = find(r.checks, 'guests');
    expect(g.map((c) => [c.subject, c.status])).toEqual([['198.18.9.2', 'fail']]);
    expect(g[0]!.measured).toContain('100 web');
  });

  const cluster = {
    name: 'lab',
    quorate: true,
    links: [0] as const,
    hasQdevice: false,
    nodes: [
      { name: 'node1', addresses: { 0: '198.18.9.1' } },
      { name: 'node2', addresses: { 0: '198.18.9.2' } },
      { name: 'node3', addresses: { 0: '198.18.9.3' } },
    ],
  };

  it('refuses to join into an inquorate cluster', () => {
    const base = input(4, { mode: 'join' });
    const one = { ...base, machines: base.machines.slice(3), cluster: { ...cluster, quorate: false } };
    const r = runPreflight({ ...one, measurements: [], linkAddresses: { '198.18.9.4': { 0: '198.18.9.4' } } });
    expect(find(r.checks, 'cluster-quorate')[0]!.status).toBe('fail');
  });

  it('refuses a joining node whose name or address the cluster already uses', () => {
    const m = machine(4, { hostname: 'node2', interfaces: [{ name: 'eth0', addresses: ['198.18.9.3/24'] }] });
    const r = runPreflight({
      mode: 'join',
      machines: [m],
      linkAddresses: { [m.machine]: { 0: '198.18.9.3' } },
      measurements: [],
      clockOffsetsMs: { [m.machine]: 0 },
      cluster,
    });
    expect(find(r.checks, 'hostname-unique')[0]!.status).toBe('fail');
    expect(find(r.checks, 'address-taken')[0]!.status).toBe('fail');
  });

  it('refuses a joining node whose link numbers differ from the cluster', () => {
    const m = machine(4, { interfaces: [{ name: 'eth0', addresses: ['198.18.9.4/24', '198.18.10.4/24'] }] });
    const r = runPreflight({
      mode: 'join',
      machines: [m],
      linkAddresses: { [m.machine]: { 0: '198.18.9.4', 1: '198.18.10.4' } },
      measurements: [],
      clockOffsetsMs: { [m.machine]: 0 },
      cluster,
    });
    expect(find(r.checks, 'link-numbers')[0]!.status).toBe('fail');
  });

  it('warns about mixed CPU vendors', () => {
    const r = runPreflight(input(3, {}, (i) => (i === 3 ? { cpuVendor: 'AuthenticAMD' } : {})));
    expect(find(r.checks, 'cpu-vendor')[0]!.status).toBe('warn');
    expect(r.ok).toBe(true);
  });

  it.each([
    [2, 'warn', 'QDevice'],
    [3, 'pass', ''],
    [4, 'warn', 'QDevice'],
  ])('advises on %i nodes: %s', (n, status, hint) => {
    const c = find(runPreflight(input(n)).checks, 'node-count')[0]!;
    expect(c.status).toBe(status);
    expect(c.hint).toContain(hint);
    expect(c.measured).toContain(`can lose ${n - (Math.floor(n / 2) + 1)}`);
  });
});

describe('probe summary', () => {
  it('computes average, jitter and loss from round trips', () => {
    const m = summariseProbe('a', 'b', 0, 5, [1, 3, 2, 2]);
    expect(m.udpReachable).toBe(true);
    expect(m.rttAvgMs).toBe(2);
    expect(m.jitterMs).toBeCloseTo((2 + 1 + 0) / 3);
    expect(m.lossPercent).toBe(20);
  });
  it('drops the slowest tenth from the average (a descheduled prober is not a slow network)', () => {
    const m = summariseProbe('a', 'b', 0, 10, [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 30]);
    expect(m.rttAvgMs).toBeCloseTo(0.3);
    expect(m.jitterMs).toBeCloseTo(0);
  });
  it('marks a link with no reply unreachable', () => {
    expect(summariseProbe('a', 'b', 0, 5, []).udpReachable).toBe(false);
  });
});
