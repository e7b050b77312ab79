/**
 * `qm list`, `pct list` and `pveversion` of the stand-in. Guests are what Proxmox keeps in the
 * cluster file system, /etc/pve/nodes/NODE/qemu-server/VMID.conf and …/lxc/CTID.conf (issue 14's
 * qm/pct/pvesh/ha-manager over the same files are in guest-tools.ts and ha-manager.ts). There are no real guests:
 * "running" is a marker /run/qemu-server/VMID.pid (/run/lxc/CTID.running) on the node, where qemu
 * and lxc keep their pid files. The listing formats are test/lab/host-files.ts's (PVE::CLI::qm `list`,
 * PVE::CLI::pct `list`), the same the earlier fake printed.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { FakeGuest } from '../host-files';
import { PVE, nodename, readText } from './sys';

export const STANDIN_LIB = '/usr/local/lib/pve-standin';

function confValue(text: string, key: string): string | undefined {
  return new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm').exec(text)?.[1];
}

/** The guests of this node, from /etc/pve/local (= nodes/<this node>). */
export function localGuests(): FakeGuest[] {
  const out: FakeGuest[] = [];
  const base = `${PVE}/nodes/${nodename()}`;
  for (const [dir, kind] of [
    ['qemu-server', 'qemu'],
    ['lxc', 'lxc'],
  ] as const) {
    const d = `${base}/${dir}`;
    for (const f of existsSync(d) ? readdirSync(d) : []) {
      const m = /^(\d+)\.conf$/.exec(f);
      if (!m) {
        continue;
      }
      const vmid = Number(m[1]);
      const text = readText(`${d}/${f}`) ?? '';
      const name = (kind === 'qemu' ? confValue(text, 'name') : confValue(text, 'hostname')) ?? `VM ${vmid}`;
      const running = existsSync(kind === 'qemu' ? `/run/qemu-server/${vmid}.pid` : `/run/lxc/${vmid}.running`);
      out.push({ vmid, name, kind, status: running ? 'running' : 'stopped' });
    }
  }
  return out;
}

/** `pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)`. */
export function pveversion(): number {
  const v = JSON.parse(readText(`${STANDIN_LIB}/version.json`) ?? '{}') as { version?: string; kernel?: string };
  process.stdout.write(
    `pve-manager/${v.version ?? '8.2.4'}/faa83925c9641325 (running kernel: ${v.kernel ?? '6.8.8-2-pve'})\n`,
  );
  return 0;
}
