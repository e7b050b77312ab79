/**
 * Turns lab hosts into Proxmox VE stand-in nodes (see pmxcfs.ts / pvecm.ts and the README section
 * "Proxmox VE stand-in"). Per host: its own /etc/pve directory in the lab's store
 * /var/tmp/quorate-lab-<id>-pve (a path every host sees: /var/tmp is neither overlaid nor bound),
 * bind-mounted on /etc/pve; the bundled stand-in in /usr/local/lib/pve-standin with wrappers in
 * /usr/local/sbin; a root RSA key authorized on every stand-in host (on real Proxmox VE this trust is
 * what `ssh-copy-id` in `pvecm add` asks a password for); the pmxcfs stand-in and the HA daemon
 * (ha-daemon.ts) started as lab daemons.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FakeGuest } from '../host-files';
import type { HaTimings } from './ha-files';

/** The part of the lab this needs (test/lab/lab.ts's Lab satisfies it). */
export interface StandinLab {
  readonly id: number;
  readonly hosts: readonly { index: number; name: string; address: string }[];
  exec(
    host: number,
    command: string,
    opts?: { stdin?: string; timeoutMs?: number },
  ): Promise<{ stdout: string; stderr: string; exitCode: number | null }>;
  spawnDaemon(host: number, argv: string[], opts?: { logFile?: string }): Promise<number>;
}

export interface PveHostOptions {
  /** pve-manager version pveversion prints; default 8.2.4. */
  version?: string;
  kernel?: string;
  /** Guests of this node: /etc/pve/nodes/<node>/qemu-server|lxc/<id>.conf (+ a running marker). */
  guests?: FakeGuest[];
  /** What `pvesh get /nodes/N/status` reports as cpuinfo.model (default: the host's /proc/cpuinfo). */
  cpuModel?: string;
  /** Memory the node reports, MiB (default: the host's). */
  memTotalMiB?: number;
  /** The HA daemon's timings (ha-files.ts LAB_HA_TIMINGS: fence delay 3 s, lock lifetime 15 s, 1 s rounds). */
  ha?: Partial<HaTimings>;
}

export const TOOLS = [
  'pvecm',
  'qm',
  'pct',
  'pvesh',
  'ha-manager',
  'pveversion',
  'pmxcfs',
  'pve-ha-standin',
  'pve-standin-service',
] as const;

export function pveStoreDir(labId: number): string {
  return `/var/tmp/quorate-lab-${labId}-pve`;
}

let bundle: Promise<string> | undefined;

/** The stand-in as one CommonJS file for the hosts' Node (esbuild, the same as the agent bundle). */
export function standinBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'standin-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

async function must(lab: StandinLab, host: number, command: string, what: string, stdin?: string): Promise<string> {
  const r = await lab.exec(host, command, { timeoutMs: 60_000, ...(stdin !== undefined ? { stdin } : {}) });
  if (r.exitCode !== 0) {
    throw new Error(`pve stand-in: ${what} on host ${host} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** A standalone node's /etc/pve, as a fresh Proxmox VE install has it. */
function freshPveDir(dir: string, node: string, guests: readonly FakeGuest[]): void {
  for (const d of ['nodes', `nodes/${node}/qemu-server`, `nodes/${node}/lxc`, `nodes/${node}/priv`, 'priv', 'ha']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  symlinkSync(`nodes/${node}`, join(dir, 'local'));
  symlinkSync(`nodes/${node}/qemu-server`, join(dir, 'qemu-server'));
  symlinkSync(`nodes/${node}/lxc`, join(dir, 'lxc'));
  writeFileSync(join(dir, '.standin-store'), `${dir}\n`);
  for (const g of guests) {
    const file =
      g.kind === 'qemu'
        ? join(dir, `nodes/${node}/qemu-server/${g.vmid}.conf`)
        : join(dir, `nodes/${node}/lxc/${g.vmid}.conf`);
    writeFileSync(
      file,
      g.kind === 'qemu'
        ? `name: ${g.name}\nmemory: 2048\ncores: 2\nostype: l26\nscsi0: local-lvm:vm-${g.vmid}-disk-0,size=32G\n`
        : `hostname: ${g.name}\nmemory: 512\nostype: debian\nrootfs: local-lvm:vm-${g.vmid}-disk-0,size=8G\n`,
    );
  }
}

/** Make `hosts` (1-based indexes) Proxmox VE stand-in nodes. Idempotent per host is not needed: once at lab start. */
export async function installPveStandin(
  lab: StandinLab,
  hosts: readonly number[],
  options: (host: number) => PveHostOptions = () => ({}),
): Promise<void> {
  const code = await standinBundle();
  const store = pveStoreDir(lab.id);
  mkdirSync(store, { recursive: true, mode: 0o755 });
  const keys: string[] = [];
  for (const index of hosts) {
    const h = lab.hosts.find((x) => x.index === index);
    if (!h) {
      throw new Error(`pve stand-in: lab ${lab.id} has no host ${index}`);
    }
    const o = options(index);
    const dir = join(store, `node-${h.name}`);
    rmSync(dir, { recursive: true, force: true });
    freshPveDir(dir, h.name, o.guests ?? []);
    const running = (o.guests ?? []).filter((g) => (g.status ?? 'running') === 'running');
    const wrappers = TOOLS.map(
      (t) =>
        `printf '%s\\n' '#!/bin/sh' 'exec /usr/bin/node /usr/local/lib/pve-standin/standin.cjs ${t} "$@"' > /usr/local/sbin/${t} && chmod 755 /usr/local/sbin/${t}`,
    );
    await must(
      lab,
      index,
      [
        'set -e',
        `mkdir -p /etc/pve /usr/local/lib/pve-standin /run/qemu-server /run/lxc`,
        `mount --bind ${dir} /etc/pve`,
        'cat > /usr/local/lib/pve-standin/standin.cjs',
        `printf '%s' '${JSON.stringify({ version: o.version ?? '8.2.4', kernel: o.kernel ?? '6.8.8-2-pve', ...(o.cpuModel ? { cpuModel: o.cpuModel } : {}), ...(o.memTotalMiB ? { memTotalMiB: o.memTotalMiB } : {}) })}' > /usr/local/lib/pve-standin/version.json`,
        `printf '%s' '${JSON.stringify(o.ha ?? {})}' > /usr/local/lib/pve-standin/ha.json`,
        ...wrappers,
        ...running.map((g) =>
          g.kind === 'qemu' ? `echo 0 > /run/qemu-server/${g.vmid}.pid` : `touch /run/lxc/${g.vmid}.running`,
        ),
        'mkdir -p /root/.ssh && chmod 700 /root/.ssh',
        "[ -f /root/.ssh/id_rsa ] || ssh-keygen -q -t rsa -b 2048 -N '' -C root@$(hostname) -f /root/.ssh/id_rsa",
        "printf 'Host *\\n  StrictHostKeyChecking accept-new\\n' > /root/.ssh/config",
      ].join('\n'),
      'installing the stand-in',
      code,
    );
    keys.push((await must(lab, index, 'cat /root/.ssh/id_rsa.pub', 'reading the root key')).trim());
  }
  for (const index of hosts) {
    await authorizeKeys(lab, index, keys);
    await lab.spawnDaemon(index, ['/usr/local/sbin/pmxcfs'], { logFile: '/var/log/pmxcfs-standin.log' });
    // pve-ha-crm + pve-ha-lrm: idle (no lock taken) until ha/resources.cfg has services.
    await lab.spawnDaemon(index, ['/usr/local/sbin/pve-ha-standin'], { logFile: '/var/log/pve-ha-standin.log' });
  }
}

/** Authorize these root keys on a host (the stand-in nodes' keys on a qnetd host, for `pvecm qdevice setup`). */
export async function authorizeKeys(lab: StandinLab, host: number, keys: readonly string[]): Promise<void> {
  await must(
    lab,
    host,
    'mkdir -p /root/.ssh && touch /root/.ssh/authorized_keys && while read -r k; do grep -qxF "$k" /root/.ssh/authorized_keys || echo "$k" >> /root/.ssh/authorized_keys; done',
    'authorizing root keys',
    `${keys.join('\n')}\n`,
  );
}

/** The stand-in hosts' root public keys (to authorize them elsewhere). */
export async function standinKeys(lab: StandinLab, hosts: readonly number[]): Promise<string[]> {
  const out: string[] = [];
  for (const h of hosts) {
    out.push((await must(lab, h, 'cat /root/.ssh/id_rsa.pub', 'reading the root key')).trim());
  }
  return out;
}
