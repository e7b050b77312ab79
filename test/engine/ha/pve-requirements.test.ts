import { describe, expect, it } from 'vitest';
import {
  blockingRequirements,
  guestVolumes,
  haRequirements,
  parseStorageCfg,
  replicatedGuests,
  watchdogModule,
  type HaRequirementFacts,
} from '../../../engine/ha/pve-requirements';
import { parseWatchdog } from '../../../engine/ha/pve-requirements.ssh';
import { pacemakerMetaFor, refuseInErrorState } from '../../../engine/ha/requested-state';

const STORAGE = `dir: local
\tpath /var/lib/vz
\tcontent iso,vztmpl,backup

lvmthin: local-lvm
\tthinpool data
\tvgname pve

rbd: ceph
\tpool vms
\tcontent images

dir: nas
\tpath /mnt/pve/nas
\tshared 1
`;

const facts = (over: Partial<HaRequirementFacts> = {}): HaRequirementFacts => ({
  totalVotes: 3,
  nodes: 3,
  qdevice: false,
  guest: { sid: 'vm:100', volumes: guestVolumes('scsi0: ceph:vm-100-disk-0,size=32G\n'), replicated: false },
  storages: parseStorageCfg(STORAGE),
  watchdogs: [{ node: 'pve1', module: 'iTCO_wdt', devices: 1 }],
  consent: [],
  ...over,
});
const result = (f: HaRequirementFacts, id: string) => haRequirements(f).find((r) => r.id === id)?.result;

describe('HA requirements (pve-docs ha-manager: three votes, shared storage, watchdog)', () => {
  it('reads storage.cfg: rbd shared by type, dir shared only with "shared 1", absent file = local dir', () => {
    expect(parseStorageCfg(STORAGE).map((s) => [s.id, s.shared])).toEqual([
      ['local', false],
      ['local-lvm', false],
      ['ceph', true],
      ['nas', true],
    ]);
    expect(parseStorageCfg(null)).toEqual([{ id: 'local', type: 'dir', shared: false }]);
  });

  it("takes a guest's disks from its current config: cdroms, none and snapshot sections left out", () => {
    const v = guestVolumes(
      'ide2: local:iso/debian.iso,media=cdrom\nscsi0: ceph:vm-1-disk-0,size=8G\nscsi1: none\nmp0: /srv/data,mp=/data\n[snap]\nscsi2: local-lvm:old\n',
    );
    expect(v).toEqual([
      { key: 'scsi0', volid: 'ceph:vm-1-disk-0', storage: 'ceph' },
      { key: 'mp0', volid: '/srv/data', storage: null },
    ]);
  });

  it('passes a 3-vote cluster with the guest on shared storage and a hardware watchdog', () => {
    const r = haRequirements(facts());
    expect(r.map((x) => [x.id, x.result])).toEqual([
      ['ha.votes', 'pass'],
      ['ha.shared-storage', 'pass'],
      ['ha.watchdog', 'pass'],
      ['ha.hardware', 'unchecked'],
    ]);
    expect(blockingRequirements(r)).toEqual([]);
  });

  it('two nodes and a QDevice are three votes; two nodes alone fail unless consented, then warn', () => {
    expect(result(facts({ totalVotes: 3, nodes: 2, qdevice: true }), 'ha.votes')).toBe('pass');
    const two = haRequirements(facts({ totalVotes: 2, nodes: 2 }));
    expect(blockingRequirements(two).map((x) => [x.id, x.consent])).toEqual([['ha.votes', 'fewVotes']]);
    expect(two[0]?.message).toMatch(/2 votes \(2 nodes\).*loses quorum/);
    expect(result(facts({ totalVotes: 2, nodes: 2, consent: ['fewVotes'] }), 'ha.votes')).toBe('warn');
  });

  it('refuses local disks without replication (consent turns it into a warning), warns with a replication job', () => {
    const local = { sid: 'vm:101', volumes: guestVolumes('scsi0: local-lvm:vm-101-disk-0\n'), replicated: false };
    const r = haRequirements(facts({ guest: local }));
    expect(blockingRequirements(r).map((x) => [x.id, x.consent])).toEqual([['ha.shared-storage', 'localDisks']]);
    expect(r[1]?.message).toMatch(/scsi0 \(local-lvm:vm-101-disk-0\).*ends in error/);
    expect(result(facts({ guest: local, consent: ['localDisks'] }), 'ha.shared-storage')).toBe('warn');
    expect(result(facts({ guest: { ...local, replicated: true } }), 'ha.shared-storage')).toBe('warn');
    const bind = { sid: 'ct:200', volumes: guestVolumes('rootfs: ceph:d\nmp0: /srv,mp=/srv\n'), replicated: false };
    expect(result(facts({ guest: bind }), 'ha.shared-storage')).toBe('fail');
    const unknown = { sid: 'vm:5', volumes: guestVolumes('scsi0: other:vm-5-disk-0\n'), replicated: false };
    expect(result(facts({ guest: unknown }), 'ha.shared-storage')).toBe('warn');
  });

  it('reads the watchdog setting: softdog fallback warns, unreadable nodes are unchecked', () => {
    expect(watchdogModule('# select watchdog module (default is softdog)\n#WATCHDOG_MODULE=ipmi_watchdog\n')).toBe(
      null,
    );
    expect(watchdogModule('WATCHDOG_MODULE=ipmi_watchdog\n')).toBe('ipmi_watchdog');
    expect(parseWatchdog('n1', 'WATCHDOG_MODULE=iTCO_wdt\n\nquorate-watchdog-devices=0\n')).toEqual({
      node: 'n1',
      module: 'iTCO_wdt',
      devices: 0,
    });
    const soft = facts({ watchdogs: [parseWatchdog('n1', '\nquorate-watchdog-devices=0\n')] });
    expect(result(soft, 'ha.watchdog')).toBe('warn');
    expect(result(facts({ watchdogs: [{ node: 'n1', module: null, devices: null }] }), 'ha.watchdog')).toBe(
      'unchecked',
    );
  });

  it('finds replication jobs by guest', () => {
    expect([...replicatedGuests('local: 100-0\n\ttarget pve2\n\tschedule */15\n\nlocal: 103-1\n')]).toEqual([100, 103]);
  });
});

describe('requested state on Pacemaker', () => {
  it('maps started/stopped to target-role, ignored to is-managed=false, refuses disabled', () => {
    expect(pacemakerMetaFor('started')).toEqual({ ok: true, value: { targetRole: 'Started', isManaged: true } });
    expect(pacemakerMetaFor('stopped')).toEqual({ ok: true, value: { targetRole: 'Stopped', isManaged: true } });
    expect(pacemakerMetaFor('ignored')).toEqual({ ok: true, value: { isManaged: false } });
    const d = pacemakerMetaFor('disabled');
    expect(!d.ok && d.error.code).toBe('ha.state-not-supported');
  });
});

describe('requested state of a service in error', () => {
  it('refuses started/stopped until it is disabled (the CRM would ignore them), lets disabled and ignored through', () => {
    const r = refuseInErrorState('error', 'started', 'vm:100');
    expect(r && !r.ok && [r.error.code, r.error.hint]).toEqual([
      'ha.in-error',
      expect.stringContaining('--state disabled'),
    ]);
    expect(refuseInErrorState('error', 'stopped', 'vm:100')?.ok).toBe(false);
    expect(refuseInErrorState('error', 'disabled', 'vm:100')).toBe(null);
    expect(refuseInErrorState('error', 'ignored', 'vm:100')).toBe(null);
    expect(refuseInErrorState('started', 'stopped', 'vm:100')).toBe(null);
    expect(refuseInErrorState(undefined, 'started', 'ip-1')).toBe(null);
  });
});
