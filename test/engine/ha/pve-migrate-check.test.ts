import { describe, expect, it } from 'vitest';
import {
  blocking,
  compareVersions,
  migrateChecks,
  type PveMigrateRequest,
  type PveNodeFacts,
} from '../../../engine/ha/pve-migrate-check';

const GiB = 1024 ** 3;
const node = (name: string, over: Partial<PveNodeFacts> = {}): PveNodeFacts => ({
  name,
  online: true,
  quorate: true,
  version: '8.2.4',
  cpuVendor: 'GenuineIntel',
  memFree: 8 * GiB,
  ...over,
});
const req = (over: Partial<PveMigrateRequest> = {}): PveMigrateRequest => ({
  kind: 'vm',
  id: 100,
  source: 'pve1',
  target: 'pve2',
  online: false,
  withLocalDisks: false,
  cpu: null,
  memoryMiB: 2048,
  ...over,
});
const fails = (c: ReturnType<typeof migrateChecks>) => blocking(c).map((x) => x.id);

describe('migration pre-checks', () => {
  it('passes a stopped VM on shared storage to an equal node', () => {
    const c = migrateChecks(
      req(),
      { running: false, allowed_nodes: ['pve2', 'pve3'], local_disks: [], local_resources: [] },
      [node('pve1'), node('pve2')],
    );
    expect(fails(c)).toEqual([]);
    expect(c.some((x) => x.by === 'proxmox') && c.some((x) => x.by === 'quorate')).toBe(true);
  });

  it('refuses local disks without --with-local-disks, and warns with it', () => {
    const pre = {
      running: false,
      allowed_nodes: ['pve2'],
      local_disks: [{ volid: 'local:100/vm-100-disk-0.qcow2' }, { volid: 'local:iso/x.iso', cdrom: 1 }],
    };
    const a = migrateChecks(req(), pre, [node('pve1'), node('pve2')]);
    expect(fails(a)).toEqual(['proxmox.local-disks']);
    expect(blocking(a)[0]?.message).toMatch(/vm-100-disk-0.*--with-local-disks/);
    expect(blocking(a)[0]?.message).not.toMatch(/x\.iso/);
    const b = migrateChecks(req({ withLocalDisks: true }), pre, [node('pve1'), node('pve2')]);
    expect(b.find((x) => x.id === 'proxmox.local-disks')?.result).toBe('warn');
  });

  it('carries Proxmox refusals: storage missing on the target, local resources, running without --online', () => {
    const c = migrateChecks(
      req(),
      {
        running: true,
        allowed_nodes: [],
        not_allowed_nodes: { pve2: { unavailable_storages: ['tank'] } },
        local_resources: ['usb0'],
      },
      [node('pve1'), node('pve2')],
    );
    expect(fails(c)).toEqual(['proxmox.target-allowed', 'proxmox.local-resources', 'proxmox.running']);
    expect(c[0]?.message).toMatch(/tank/);
  });

  it('refuses cpu: host online across vendors, warns offline', () => {
    const nodes = [node('pve1'), node('pve2', { cpuVendor: 'AuthenticAMD' })];
    expect(fails(migrateChecks(req({ cpu: 'host', online: true }), { running: true }, nodes))).toContain('quorate.cpu');
    expect(
      migrateChecks(req({ cpu: 'host' }), { running: false }, nodes).find((x) => x.id === 'quorate.cpu')?.result,
    ).toBe('warn');
    expect(fails(migrateChecks(req({ cpu: 'x86-64-v2-AES', online: true }), { running: true }, nodes))).toContain(
      'quorate.cpu',
    );
    expect(
      fails(migrateChecks(req({ cpu: 'host', online: true }), { running: true }, [node('pve1'), node('pve2')])),
    ).toEqual([]);
  });

  it('refuses an offline, inquorate, older, too small, unknown or same target', () => {
    const n = (o: Partial<PveNodeFacts>) => [node('pve1'), node('pve2', o)];
    expect(fails(migrateChecks(req(), null, n({ online: false, quorate: false })))).toEqual([
      'quorate.target-online',
      'quorate.target-quorate',
    ]);
    expect(fails(migrateChecks(req(), null, n({ version: '8.1.10' })))).toEqual(['quorate.target-version']);
    expect(fails(migrateChecks(req(), null, n({ version: '8.10.0' })))).toEqual([]);
    expect(fails(migrateChecks(req({ memoryMiB: 16384 }), null, n({})))).toEqual(['quorate.target-memory']);
    expect(fails(migrateChecks(req({ target: 'pve9' }), null, n({})))).toEqual(['quorate.target-known']);
    expect(fails(migrateChecks(req({ target: 'pve1' }), null, n({})))).toContain('quorate.same-node');
  });

  it('compares versions numerically', () => {
    expect(compareVersions('8.10.0', '8.9.1')).toBe(1);
    expect(compareVersions('7.4-3', '8.0.1')).toBe(-1);
    expect(compareVersions('8.2', '8.2.0')).toBe(0);
  });
});
