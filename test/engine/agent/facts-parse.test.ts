import { describe, expect, it } from 'vitest';
import {
  parseChronyTracking,
  parseCpuVendor,
  parseDebianVersion,
  parseGuestList,
  parseOsRelease,
  parsePveVersion,
  parseTimedatectl,
  parseToolVersion,
} from '../../../engine/agent/facts-parse';

describe('facts parsers', () => {
  it('reads /etc/os-release with quoted and bare values', () => {
    expect(
      parseOsRelease(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n# c\n',
      ),
    ).toEqual({
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it.each([
    ["Corosync Cluster Engine, version '3.1.7'\nCopyright", '3.1.7'],
    ["Corosync Qdevice Network Daemon, version '3.0.3'\n", '3.0.3'],
    ['usage: corosync-qdevice [-dfh]', null],
  ])('tool version of %j is %s', (text, v) => {
    expect(parseToolVersion(text)).toBe(v);
  });

  it.each([
    ['3.0.3-1', '3.0.3'],
    ['1:2.3.4-5+deb12u1', '2.3.4'],
    ['', null],
  ])('Debian version %j → %s', (text, v) => {
    expect(parseDebianVersion(text)).toBe(v);
  });

  it('reads pve-manager from pveversion and the CPU vendor from cpuinfo', () => {
    expect(parsePveVersion('pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)\n')).toBe('8.2.4');
    expect(parsePveVersion('bash: pveversion: not found')).toBeNull();
    expect(parseCpuVendor('processor\t: 0\nvendor_id\t: GenuineIntel\n')).toBe('GenuineIntel');
    expect(parseCpuVendor('processor\t: 0\nCPU implementer\t: 0x41\n')).toBeNull();
  });

  it('reads qm list and pct list, with and without a lock column', () => {
    expect(
      parseGuestList(
        '      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID\n       100 web                  running    2048              32.00 1234\n       101 db                   stopped    4096              64.00 0\n',
        'qemu',
      ),
    ).toEqual([
      { vmid: 100, name: 'web', status: 'running', kind: 'qemu' },
      { vmid: 101, name: 'db', status: 'stopped', kind: 'qemu' },
    ]);
    expect(
      parseGuestList(
        'VMID       Status     Lock         Name\n200        running                 ct1\n201        stopped    backup       ct2\n',
        'lxc',
      ),
    ).toEqual([
      { vmid: 200, name: 'ct1', status: 'running', kind: 'lxc' },
      { vmid: 201, name: 'ct2', status: 'stopped', kind: 'lxc' },
    ]);
  });

  it('reads time sync state from timedatectl and chronyc', () => {
    expect(parseTimedatectl('NTP=yes\nNTPSynchronized=yes\n')).toMatchObject({
      source: 'timedatectl',
      synchronized: true,
    });
    expect(parseTimedatectl('NTP=no\nNTPSynchronized=no\n')).toMatchObject({
      synchronized: false,
      summary: expect.stringContaining('NTP=no'),
    });
    expect(parseChronyTracking('Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n')).toMatchObject({
      source: 'chronyc',
      synchronized: false,
    });
    expect(parseChronyTracking('Leap status     : Normal\n')).toMatchObject({ synchronized: true });
  });
});
