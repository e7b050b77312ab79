import { describe, expect, it } from 'vitest';
import type { FactsResult, ProbeMeasureResult } from '../../../engine/agent/protocol';
import { err, ok } from '../../../engine/result';
import {
  addressInCidr,
  clusterNameOf,
  machineFactsFromAgent,
  measurementFromProbe,
} from '../../../engine/ops/agent-facts';

const CONF = `totem {\n  version: 2\n  cluster_name: alpha\n}\nnodelist {\n}\n`;

function facts(over: Partial<FactsResult> = {}): FactsResult {
  return {
    agentVersion: '0.2.0',
    nodeVersion: 'v18.19.0',
    collectedAt: 1,
    hostname: ok('node2'),
    machineId: ok('abc'),
    osRelease: ok({ id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian 12' }),
    kernel: ok('6.1.0'),
    arch: ok('x86_64'),
    cpuVendor: ok('GenuineIntel'),
    versions: { corosync: ok('3.1.7'), corosyncQdevice: ok('3.0.3'), corosyncQnetd: ok(null), pve: ok(null) },
    interfaces: ok([
      { name: 'lo', addresses: ['127.0.0.1/8'], mac: null, internal: true },
      { name: 'eth0', addresses: ['198.18.7.2/24', 'fe80::1/64'], mac: '02:00:00:00:00:02', internal: false },
    ]),
    clusterConfig: ok({ corosyncConf: null, pveCorosyncConf: null, authkeyExists: false }),
    membership: ok({ running: false, raw: '', status: null }),
    guests: ok([]),
    timeSync: ok({ source: 'timedatectl', synchronized: true, summary: 'NTP synchronized (timedatectl)', raw: '' }),
    ...over,
  };
}

describe('agent facts as pre-flight input', () => {
  it('maps a clean Debian node: versions, interfaces, NTP, nothing clustered', () => {
    expect(machineFactsFromAgent('198.18.7.2', facts())).toEqual({
      machine: '198.18.7.2',
      hostname: 'node2',
      corosyncVersion: '3.1.7',
      qdeviceInstalled: true,
      pveVersion: null,
      os: 'Debian 12',
      interfaces: [
        { name: 'lo', addresses: ['127.0.0.1/8'] },
        { name: 'eth0', addresses: ['198.18.7.2/24', 'fe80::1/64'] },
      ],
      ntpSynchronized: true,
      ntpSummary: 'NTP synchronized (timedatectl)',
      hasCorosyncConf: false,
      hasAuthkey: false,
      corosyncRunning: false,
      guests: [],
      cpuVendor: 'GenuineIntel',
    });
  });

  it('sees a node of another cluster: its config, authkey, running corosync and the cluster name', () => {
    const f = machineFactsFromAgent(
      'n',
      facts({
        clusterConfig: ok({ corosyncConf: CONF, pveCorosyncConf: null, authkeyExists: true }),
        membership: ok({ running: true, raw: 'Quorate: Yes', status: null }),
      }),
    );
    expect(f).toMatchObject({ hasCorosyncConf: true, hasAuthkey: true, corosyncRunning: true, clusterName: 'alpha' });
  });

  it('prefers the Proxmox cluster-wide config and keeps guests with their kind', () => {
    const f = machineFactsFromAgent(
      'n',
      facts({
        versions: { corosync: ok('3.1.7'), corosyncQdevice: ok(null), corosyncQnetd: ok(null), pve: ok('8.2.4') },
        clusterConfig: ok({ corosyncConf: CONF, pveCorosyncConf: CONF.replace('alpha', 'pvec'), authkeyExists: true }),
        guests: ok([
          { vmid: 100, name: 'web', kind: 'qemu', status: 'running' },
          { vmid: 200, name: 'db', kind: 'lxc', status: 'stopped' },
        ]),
      }),
    );
    expect(f).toMatchObject({ pveVersion: '8.2.4', qdeviceInstalled: false, clusterName: 'pvec' });
    expect(f.guests).toEqual([
      { vmid: 100, name: 'web', kind: 'qemu' },
      { vmid: 200, name: 'db', kind: 'lxc' },
    ]);
  });

  it('reads a sub-fact the agent could not collect as unknown, not as a failure of the whole machine', () => {
    const bad = err('agent.fact-failed', 'could not read it', '');
    const f = machineFactsFromAgent(
      'n',
      facts({
        hostname: bad,
        osRelease: bad,
        cpuVendor: bad,
        timeSync: bad,
        interfaces: bad,
        membership: bad,
        clusterConfig: bad,
        guests: bad,
        versions: { corosync: bad, corosyncQdevice: bad, corosyncQnetd: bad, pve: bad },
      }),
    );
    expect(f).toEqual({
      machine: 'n',
      hostname: '',
      corosyncVersion: null,
      qdeviceInstalled: false,
      pveVersion: null,
      interfaces: [],
      ntpSynchronized: null,
      hasCorosyncConf: false,
      hasAuthkey: false,
      corosyncRunning: false,
      guests: [],
      cpuVendor: null,
    });
  });

  it.each([
    ['plain', 'totem {\n  cluster_name: beta\n}', 'beta'],
    ['tabs and trailing blanks', 'totem {\n\tcluster_name:   with-dash  \n}', 'with-dash'],
    ['none', 'totem {\n  version: 2\n}', undefined],
    // Only totem's key counts (the regex took the first `cluster_name:` anywhere, comments included).
    [
      'elsewhere too',
      '# cluster_name: old\nlogging {\n  cluster_name: nope\n}\ntotem {\n  cluster_name: real\n}',
      'real',
    ],
    // 40 000 blank lines first: linear with the parser (the multiline regex retried from each).
    ['after 40 000 blank lines', `${' \n'.repeat(40_000)}totem {\n  cluster_name: spaced\n}`, 'spaced'],
  ])('cluster name (%s)', (_what, conf, name) => {
    expect(clusterNameOf(conf)).toBe(name);
  });

  it('finds the link address inside a network', () => {
    const f = machineFactsFromAgent('n', facts());
    expect(addressInCidr(f, '198.18.7.0/24')).toBe('198.18.7.2');
    expect(addressInCidr(f, '198.18.8.0/24')).toBeNull();
  });
});

describe('agent probe results as measurements', () => {
  const probe = (rttsMs: number[] | undefined, sent: number, avg: number | null): ProbeMeasureResult => ({
    host: '198.18.7.2',
    port: 5412,
    sent,
    received: rttsMs?.length ?? (avg === null ? 0 : sent),
    lossPercent: 0,
    rttMinMs: avg,
    rttAvgMs: avg,
    rttMaxMs: avg,
    jitterMs: 0,
    ...(rttsMs ? { rttsMs } : {}),
  });

  it('drops the slowest tenth of the replies: one descheduled 30 ms reply does not make a 5 ms network', () => {
    const rtts = [...Array.from({ length: 29 }, () => 0.3), 30];
    const m = measurementFromProbe('a', 'b', 0, 30, probe(rtts, 30, 1.29));
    expect(m.udpReachable).toBe(true);
    expect(m.rttAvgMs).toBeCloseTo(0.3, 6);
    expect(m.lossPercent).toBe(0);
  });

  it('counts loss against what was sent, and nothing back (or no answer at all) as unreachable', () => {
    expect(measurementFromProbe('a', 'b', 1, 30, probe([0.5, 0.5, 0.5], 30, 0.5)).lossPercent).toBeCloseTo(90, 6);
    expect(measurementFromProbe('a', 'b', 0, 30, probe([], 30, null))).toMatchObject({
      udpReachable: false,
      lossPercent: 100,
    });
    expect(measurementFromProbe('a', 'b', 0, 30, null)).toMatchObject({
      udpReachable: false,
      lossPercent: 100,
      link: 0,
    });
  });

  it('uses the average of an older agent that sends no per-reply RTTs', () => {
    const m = measurementFromProbe('a', 'b', 0, 10, probe(undefined, 10, 0.7));
    expect(m).toMatchObject({ udpReachable: true, lossPercent: 0 });
    expect(m.rttAvgMs).toBeCloseTo(0.7, 6);
  });
});
