import { describe, expect, it } from 'vitest';
import { anchorScript, etcHosts, fakePveversion, pctListOutput, qmListOutput, sshdConfig } from './host-files';

describe('lab host files', () => {
  it('prints qm list in PVE columns, sorted, and nothing for no VMs', () => {
    const out = qmListOutput([
      { vmid: 105, name: 'b', kind: 'qemu', status: 'stopped' },
      { vmid: 100, name: 'a', kind: 'qemu' },
      { vmid: 200, name: 'ct', kind: 'lxc' },
    ]).split('\n');
    expect(out[0]).toBe('      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       ');
    expect(out[1]).toMatch(/^ {7}100 a {20}running {4}2048 {14}32\.00 \d+ *$/);
    expect(out[2]).toMatch(/^ {7}105 b {20}stopped .* 0 *$/);
    expect(out).toHaveLength(4);
    expect(qmListOutput([{ vmid: 200, name: 'ct', kind: 'lxc' }])).toBe('');
  });

  it('prints pct list in PVE columns and nothing for no containers', () => {
    expect(pctListOutput([{ vmid: 200, name: 'ct', kind: 'lxc' }]).split('\n')[0]).toBe(
      'VMID       Status     Lock         Name                ',
    );
    expect(pctListOutput([])).toBe('');
  });

  it('prints pveversion as PVE does', () => {
    expect(fakePveversion('7.4-3', '5.15.102-1-pve')).toContain(
      "'pve-manager/7.4-3/faa83925c9641325 (running kernel: 5.15.102-1-pve)'",
    );
  });

  it('skews only sessions, never sshd itself, and refuses a skew without libfaketime', () => {
    expect(sshdConfig()).not.toMatch(/SetEnv/);
    const skewed = sshdConfig({ skewSeconds: -90, faketimeLib: '/x/libfaketimeMT.so.1' });
    expect(skewed).toMatch(/^SetEnv LD_PRELOAD=\/x\/libfaketimeMT\.so\.1 FAKETIME=-90 /m);
    expect(skewed).toMatch(/^PermitRootLogin yes$/m);
    expect(() => sshdConfig({ skewSeconds: 5 })).toThrow(/libfaketime/);
  });

  it('mounts /tmp last, since the host directory lives under /tmp', () => {
    const lines = anchorScript().split('\n');
    const tmp = lines.findIndex((l) => l.includes('"$D/tmp" /tmp'));
    const lastD = lines.reduce((at, l, i) => (l.includes('$D/') ? i : at), -1);
    expect(tmp).toBe(lastD);
  });

  it('resolves its own name to its own address first', () => {
    const hosts = etcHosts({ name: 'node2', address: '198.18.7.2' }, [
      { name: 'node1', address: '198.18.7.1' },
      { name: 'node2', address: '198.18.7.2' },
    ]);
    expect(hosts.split('\n')[1]).toBe('198.18.7.2\tnode2');
    expect(hosts).toContain('198.18.7.1\tnode1');
  });
});
