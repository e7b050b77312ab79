/**
 * The dashboard's "Guests and HA" card in Chromium, on the Proxmox VE stand-in (3 nodes over real
 * corosync, made with pvecm, adopted through the service): guests per node, "Add to HA…" shows the
 * requirements and keeps Add off until the local-disk consent is ticked, the guest then shows its
 * ha-manager state in words; a migration failing half-way shows its task log and says where the
 * guest still is. Screenshots in test-results/e2e/.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { addTrustBootstrap } from '../engine/api/lab-service';
import type { Lab } from '../lab/lab';
import { labSupport, labUp } from '../lab/lab';
import { MIGRATE_FAIL } from '../lab/pve/guest-tools';
import { e2eUnavailable, ensureRendererBuilt, test } from './fixtures';
import { pvecmCluster } from '../engine/api/pve-lab';

const support = labSupport();
const skipWhy = e2eUnavailable() ?? (support.ok ? undefined : support.reason);
if (skipWhy) {
  console.log(`pve guests e2e skipped: ${skipWhy}`);
}

let lab: Lab | undefined;

describe.skipIf(skipWhy !== undefined)('guests and HA on the dashboard (Proxmox stand-in)', () => {
  beforeAll(async () => {
    ensureRendererBuilt();
    lab = await labUp({ hosts: 3, pve: [1, 2, 3] });
    const l = lab;
    await pvecmCluster(l, 'pvelab', [1, 2, 3]);
    const w = await l.exec(
      1,
      `printf 'dir: local\\n\\tpath /var/lib/vz\\n\\nlvmthin: local-lvm\\n\\tthinpool data\\n\\tvgname pve\\n\\nrbd: ceph\\n\\tpool vms\\n' > /etc/pve/storage.cfg` +
        ` && printf 'name: web\\nmemory: 1024\\nscsi0: ceph:vm-100-disk-0,size=8G\\n' > /etc/pve/nodes/node1/qemu-server/100.conf` +
        ` && printf 'name: db\\nmemory: 1024\\nscsi0: local-lvm:vm-101-disk-0,size=8G\\n' > /etc/pve/nodes/node1/qemu-server/101.conf` +
        ` && printf 'hostname: dns\\nmemory: 512\\nrootfs: ceph:vm-200-disk-0,size=4G\\n' > /etc/pve/nodes/node2/lxc/200.conf`,
    );
    expect(w.exitCode, w.stderr).toBe(0);
    expect((await l.exec(1, 'mkdir -p /run/pve-standin')).exitCode).toBe(0);
  }, 600_000);
  afterAll(async () => {
    await lab?.down();
  });

  test('guests per node; Add to HA with consent; a half-way migration failure says where the guest is', async ({
    app,
    browserHost,
  }) => {
    const l = lab!;
    const { service } = browserHost;
    await addTrustBootstrap(service, l.hosts);
    const adopted = await service.handlers.adoptCluster({ from: l.host(1).address });
    expect(adopted.ok, JSON.stringify(adopted)).toBe(true);

    const { page } = app;
    page.setDefaultTimeout(60_000);
    await page.goto(browserHost.host.loginUrl());
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('guests-card').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="guest"][data-sid="vm:101"]').waitFor();
    expect(
      await page.locator('[data-testid="guests-node"]').evaluateAll((els) => els.map((e) => e.textContent)),
    ).toEqual(['node1', 'node2']);
    await app.screenshot('pve-1-guests');

    await page.locator('[data-testid="guest"][data-sid="vm:101"] [data-testid="guest-ha-add"]').click();
    const req = page.getByTestId('ha-requirements');
    await req.waitFor();
    expect(
      await req.locator('[data-testid="ha-requirement"][data-id="ha.shared-storage"]').getAttribute('data-result'),
    ).toBe('fail');
    expect(await page.getByTestId('ha-add-confirm').isDisabled()).toBe(true);
    await app.screenshot('pve-2-requirements');
    await page.locator('[data-testid="ha-consent"][data-consent="localDisks"] input').check();
    await page.getByTestId('ha-add-confirm').click();
    const row = page.locator('[data-testid="guest"][data-sid="vm:101"][data-ha-state="started"]');
    await row.waitFor();
    expect(await row.getByTestId('guest-ha-words').textContent()).toMatch(/Running on its node/);
    await app.screenshot('pve-3-ha-added');

    expect((await l.exec(1, `touch ${MIGRATE_FAIL(100)}`)).exitCode).toBe(0);
    await page.locator('[data-testid="guest"][data-sid="vm:100"] [data-testid="guest-migrate"]').click();
    await page.getByTestId('migrate-to').selectOption('node2');
    await page.getByTestId('migrate-run').click();
    const done = page.locator('[data-testid="migration"][data-sid="vm:100"][data-status="failed"]');
    await done.waitFor();
    expect(await done.getByTestId('migration-log').textContent()).toMatch(/ERROR: online migrate failure/);
    expect(await done.getByTestId('migration-message').textContent()).toMatch(/still on node1, where it was/);
    await app.screenshot('pve-4-migration-failed');
    expect(app.problems).toEqual([]);
  }, 400_000);
});
