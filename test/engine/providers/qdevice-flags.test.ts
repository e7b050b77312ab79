import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePvecmStatus, parseQuorumtoolStatus, type QuorumtoolStatus } from '../../../engine/corosync';
import { QDEVICE_FLAG_MEANINGS, qdeviceFlags } from '../../../engine/providers/qdevice-flags';
import { pvecmAdd, pvecmCreate, pvecmQdeviceSetup } from '../../../engine/providers/pve';
import { unwrap } from '../../../engine/result';

// The real captures engine/corosync's parsers are tested against (corosync 3.1.7 + qdevice 3.0.3 in the lab, and the Proxmox docs).
const samples = join(import.meta.dirname, '..', 'corosync', 'tool-samples');
const statuses: [string, QuorumtoolStatus][] = readdirSync(samples).flatMap((dir): [string, QuorumtoolStatus][] => {
  const text = readFileSync(join(samples, dir, 'output.txt'), 'utf8');
  if (dir.startsWith('quorumtool-s-')) {
    return [[dir, unwrap(parseQuorumtoolStatus(text))]];
  }
  if (dir.startsWith('pvecm-status-')) {
    const r = parsePvecmStatus(text);
    return r.ok ? [[dir, r.value]] : [];
  }
  return [];
});
const withQdevice = statuses.filter(([, s]) => s.members.some((m) => m.qdevice));

describe('QDevice flags for status output', () => {
  it('gives back the Qdevice column exactly as corosync-quorumtool printed it, for every captured status with a QDevice', () => {
    expect(withQdevice.length).toBeGreaterThanOrEqual(4);
    for (const [dir, s] of withQdevice) {
      for (const m of s.members) {
        expect(qdeviceFlags(m.qdevice).join(','), `${dir} node ${m.nodeid}`).toBe(m.qdevice!.raw);
      }
    }
  });

  it('covers a node that is not registered (NR) and one whose QDevice lost its vote (NV) among the captures', () => {
    const all = new Set(withQdevice.flatMap(([, s]) => s.members.flatMap((m) => qdeviceFlags(m.qdevice))));
    expect(all).toContain('NR');
    expect(all).toContain('NV');
  });

  it('explains every flag it can produce', () => {
    for (const f of ['A', 'NA', 'V', 'NV', 'MW', 'NMW', 'NR']) {
      expect(QDEVICE_FLAG_MEANINGS[f], f).toMatch(/\w{3}/);
    }
  });

  it('has no flags without a QDevice column', () => {
    const plain = statuses.find(([d]) => d === 'quorumtool-s-three-nodes-quorate')![1];
    expect(plain.members.map((m) => qdeviceFlags(m.qdevice))).toEqual([[], [], []]);
  });
});

describe('pvecm commands (no Proxmox in the lab)', () => {
  it('builds pvecm commands with one word per argument and one --linkN per link', () => {
    expect(pvecmCreate('prod-central', { 0: '10.10.10.1', 1: '10.20.20.1' })).toBe(
      'pvecm create prod-central --link0 10.10.10.1 --link1 10.20.20.1',
    );
    expect(pvecmAdd('10.10.10.1', { 0: '10.10.10.2' })).toBe('pvecm add 10.10.10.1 --link0 10.10.10.2 --use_ssh 1');
    expect(pvecmQdeviceSetup('10.10.10.9', 'lms')).toBe('pvecm qdevice setup 10.10.10.9 --force');
    expect(pvecmQdeviceSetup('10.10.10.9', 'ffsplit')).toBe('pvecm qdevice setup 10.10.10.9');
  });
});
