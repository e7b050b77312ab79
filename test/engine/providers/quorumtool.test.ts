import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMembership, parseQuorumStatus } from '../../../engine/providers/quorumtool';
import { parsePvecmStatus, pvecmAdd, pvecmCreate, pvecmQdeviceSetup } from '../../../engine/providers/pve';

const sample = (name: string): string => readFileSync(join(import.meta.dirname, 'samples', name), 'utf8');

describe('corosync-quorumtool -s', () => {
  it('reads a two-node cluster with a QDevice (captured from corosync 3.1.7 + qdevice 3.0.3 in the lab)', () => {
    const s = parseQuorumStatus(sample('quorumtool-qdevice.txt'))!;
    expect(s).toMatchObject({ quorate: true, nodes: 2, expectedVotes: 3, highestExpected: 3, totalVotes: 3, quorum: 2, qdeviceVotes: 1 });
    expect(s.flags).toEqual(['Quorate', 'Qdevice']);
    expect(s.members).toEqual([
      { nodeid: 1, votes: 1, qdeviceFlags: ['A', 'V', 'NMW'], name: 'node4', local: true },
      { nodeid: 2, votes: 1, qdeviceFlags: ['A', 'V', 'NMW'], name: 'node5', local: false },
    ]);
  });

  it('returns null for text without a votequorum section (corosync not running)', () => {
    expect(parseQuorumStatus('Cannot initialize QUORUM service\n')).toBeNull();
  });
});

describe('pvecm (documented outputs, Proxmox VE cluster manager chapter; no Proxmox in the lab)', () => {
  it('reads pvecm status of the four-node example', () => {
    const s = parsePvecmStatus(sample('pvecm-status-4-nodes.txt'))!;
    expect(s).toMatchObject({ quorate: true, nodes: 4, expectedVotes: 4, totalVotes: 4, quorum: 3, qdeviceVotes: null });
    expect(s.members.map((m) => [m.nodeid, m.name, m.local])).toEqual([[1, '192.168.15.91', false], [2, '192.168.15.92', true], [3, '192.168.15.93', false], [4, '192.168.15.94', false]]);
  });

  it('reads pvecm nodes', () => {
    expect(parseMembership(sample('pvecm-nodes.txt')).members.map((m) => `${m.nodeid}:${m.name}`)).toEqual(['1:hp1', '2:hp2', '3:hp3', '4:hp4']);
  });

  it('builds pvecm commands with quoted arguments and one --linkN per link', () => {
    expect(pvecmCreate('prod-central', { 0: '10.10.10.1', 1: '10.20.20.1' })).toBe("pvecm create 'prod-central' --link0 '10.10.10.1' --link1 '10.20.20.1'");
    expect(pvecmAdd('10.10.10.1', { 0: '10.10.10.2' })).toBe("pvecm add '10.10.10.1' --link0 '10.10.10.2' --use_ssh 1");
    expect(pvecmQdeviceSetup('10.10.10.9', 'lms')).toBe("pvecm qdevice setup '10.10.10.9' --force");
    expect(pvecmQdeviceSetup('10.10.10.9', 'ffsplit')).toBe("pvecm qdevice setup '10.10.10.9'");
  });
});
