/**
 * Issue 14's part of the Proxmox VE stand-in: `qm list|config|migrate`, `pct list|migrate` and
 * `pvesh get` for /cluster/resources, /nodes/N/qemu/ID/migrate and /nodes/N/status, over the guest
 * configs in the shared /etc/pve (nodes/NODE/qemu-server/ID.conf, nodes/NODE/lxc/ID.conf).
 * A "migration" is what pmxcfs shows of a real one: the config file renamed into the target node's
 * folder (and the running marker moved with it), after the same refusals qemu-server and pve-container
 * give (their wording, read from their sources). No disk is copied and no guest runs.
 * Node facts the lab cannot vary per host (CPU model, memory) come from the host's
 * /usr/local/lib/pve-standin/version.json when install.ts was given them.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { nodelist } from './pve-conf';
import { readClusterConf } from './pvecm';
import { STANDIN_LIB, localGuests } from './guests';
import { pctListOutput, qmListOutput } from '../host-files';
import { CLUSTER_CONF, PVE, checkCfsQuorum, corosyncState, die, nodename, readText, resolveHost, ssh } from './sys';

export type GuestKind = 'qemu' | 'lxc';

export interface GuestConf {
  readonly kind: GuestKind;
  readonly vmid: number;
  readonly node: string;
  readonly text: string;
}

const DIR: Record<GuestKind, string> = { qemu: 'qemu-server', lxc: 'lxc' };

export function confPath(kind: GuestKind, node: string, vmid: number): string {
  return `${PVE}/nodes/${node}/${DIR[kind]}/${vmid}.conf`;
}

/** Every guest config of the cluster (what pmxcfs's .vmlist holds). */
export function allGuests(): GuestConf[] {
  const out: GuestConf[] = [];
  const base = `${PVE}/nodes`;
  for (const node of existsSync(base) ? readdirSync(base) : []) {
    for (const kind of ['qemu', 'lxc'] as const) {
      const d = `${base}/${node}/${DIR[kind]}`;
      for (const f of existsSync(d) ? readdirSync(d) : []) {
        const m = /^(\d+)\.conf$/.exec(f);
        if (m) {
          out.push({ kind, vmid: Number(m[1]), node, text: readText(`${d}/${f}`) ?? '' });
        }
      }
    }
  }
  return out.sort((a, b) => a.vmid - b.vmid);
}

export function findGuest(vmid: number): GuestConf | undefined {
  return allGuests().find((g) => g.vmid === vmid);
}

export function confValue(text: string, key: string): string | undefined {
  return new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm').exec(text.split(/^\[/m)[0] ?? '')?.[1];
}

/** Cluster nodes and whether each is in this node's corosync membership. */
export function clusterNodes(): { name: string; online: boolean }[] {
  if (!existsSync(CLUSTER_CONF)) {
    return [{ name: nodename(), online: true }];
  }
  const st = corosyncState();
  return Object.entries(nodelist(readClusterConf())).map(([name, n]) => ({
    name,
    online: st.members.includes(Number(n.nodeid)),
  }));
}

function runningMarker(kind: GuestKind, vmid: number): string {
  return kind === 'qemu' ? `/run/qemu-server/${vmid}.pid` : `/run/lxc/${vmid}.running`;
}

/** Disks on storages that are not shared (the stand-in's storage.cfg: `local`, `local-lvm` are local). */
export function localDisks(text: string): { volid: string; cdrom?: number; size?: string }[] {
  const out: { volid: string; cdrom?: number; size?: string }[] = [];
  for (const m of (text.split(/^\[/m)[0] ?? '').matchAll(
    /^((?:scsi|virtio|sata|ide|efidisk|tpmstate|rootfs|mp)\d*):\s*([^,\s]+)(.*)$/gm,
  )) {
    const volid = m[2] ?? '';
    const storage = volid.split(':')[0] ?? '';
    if (volid === 'none' || !['local', 'local-lvm', 'local-zfs'].includes(storage)) {
      continue;
    }
    const cdrom = /media=cdrom/.test(m[3] ?? '');
    const size = /size=([^,\s]+)/.exec(m[3] ?? '')?.[1];
    out.push({ volid, ...(cdrom ? { cdrom: 1 } : {}), ...(size ? { size } : {}) });
  }
  return out;
}

/** `hostpci`/`usb` entries: PVE::QemuServer::check_local_resources. */
function localResources(text: string): string[] {
  return [...(text.split(/^\[/m)[0] ?? '').matchAll(/^((?:hostpci|usb|serial|parallel)\d+):/gm)].map((m) => m[1] ?? '');
}

export function haManaged(kind: GuestKind, vmid: number): boolean {
  const cfg = readText(`${PVE}/ha/resources.cfg`) ?? '';
  return new RegExp(`^${kind === 'qemu' ? 'vm' : 'ct'}:\\s*${vmid}\\s*$`, 'm').test(cfg);
}

/** The move itself: config into the target's folder, running marker across (via ssh). */
export function moveGuest(g: GuestConf, target: string, keepRunning: boolean): void {
  checkCfsQuorum();
  const running = existsSync(runningMarker(g.kind, g.vmid));
  renameSync(confPath(g.kind, g.node, g.vmid), confPath(g.kind, target, g.vmid));
  if (running) {
    rmSync(runningMarker(g.kind, g.vmid), { force: true });
    if (keepRunning) {
      const addr = resolveHost(target) ?? target;
      ssh(addr, ['sh', '-c', `mkdir -p /run/qemu-server /run/lxc && echo 0 > ${runningMarker(g.kind, g.vmid)}`]);
    }
  }
}

function parseFlags(argv: string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const key = a.replace(/^--?/, '');
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-') && /^(0|1|yes|no|true|false)$/.test(next)) {
      flags[key] = next;
      i++;
    } else if (
      next !== undefined &&
      !next.startsWith('-') &&
      !['online', 'with-local-disks', 'restart', 'force'].includes(key)
    ) {
      flags[key] = next;
      i++;
    } else {
      flags[key] = '1';
    }
  }
  return { positional, flags };
}

const on = (v: string | undefined): boolean => v !== undefined && /^(1|yes|true)$/.test(v);

/** The checks `qm migrate` / `pct migrate` make before moving (qemu-server / pve-container wording). */
function checkMigrate(kind: GuestKind, vmid: number, target: string, flags: Record<string, string>): GuestConf {
  const me = nodename();
  const g = findGuest(vmid);
  if (!g || g.kind !== kind || g.node !== me) {
    die(`Configuration file 'nodes/${me}/${DIR[kind]}/${vmid}.conf' does not exist\n`);
  }
  if (target === me) {
    die('target is local node.\n');
  }
  const node = clusterNodes().find((n) => n.name === target);
  if (!node) {
    die(`no such cluster node '${target}'\n`);
  }
  if (!node.online) {
    die(`target node '${target}' is not online\n`);
  }
  checkCfsQuorum();
  const running = existsSync(runningMarker(kind, vmid));
  if (kind === 'qemu') {
    if (running && !on(flags.online)) {
      die(`can't migrate running VM without --online\n`);
    }
    const res = localResources(g.text);
    if (res.length > 0) {
      die(`can't migrate VM which uses local devices: ${res.join(', ')}\n`);
    }
    const disks = localDisks(g.text).filter((d) => !d.cdrom);
    if (running && disks.length > 0 && !on(flags['with-local-disks'])) {
      die(`can't live migrate attached local disks without with-local-disks option\n`);
    }
  } else if (running && !on(flags.restart)) {
    if (on(flags.online)) {
      die('lxc live migration is currently not implemented\n');
    }
    die(`CT is running - use online migration or restart\n`);
  }
  return g;
}

/** Test hooks on the source node, both under /run (gone with the lab): see `migrate`. */
export const MIGRATE_HOLD = (vmid: number): string => `/run/pve-standin/migrate-hold-${vmid}`;
export const MIGRATE_FAIL = (vmid: number): string => `/run/pve-standin/migrate-fail-${vmid}`;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The task log is printed line by line as the transfer goes (stdout to a pipe is synchronous on
 * Linux), like qemu-server's migration task. Two test hooks on the source node: while MIGRATE_HOLD
 * exists the transfer phase waits (up to 60 s) — a test can look at the cluster mid-migration; with
 * MIGRATE_FAIL the transfer fails half-way and the migration is aborted as qemu-server aborts one
 * (cleanup, config left on the source, "migration aborted", exit 255).
 */
function migrate(kind: GuestKind, argv: string[]): number {
  const { positional, flags } = parseFlags(argv);
  const vmid = Number(positional[0]);
  const target = positional[1] ?? '';
  if (!Number.isInteger(vmid) || vmid < 100 || !target) {
    die(`400 not enough arguments\n${kind === 'qemu' ? 'qm' : 'pct'} migrate <vmid> <target> [OPTIONS]\n`);
  }
  if (haManaged(kind, vmid)) {
    // qemu-server hands HA-managed guests to the HA stack (crm command) instead of migrating itself.
    const sid = `${kind === 'qemu' ? 'vm' : 'ct'}:${vmid}`;
    checkMigrate(kind, vmid, target, { ...flags, online: '1', restart: '1' });
    process.stdout.write(`Requesting HA migration for ${kind === 'qemu' ? 'VM' : 'CT'} ${vmid} to node ${target}\n`);
    return haMigrateHook(sid, target, kind === 'qemu' ? 'migrate' : 'relocate');
  }
  const g = checkMigrate(kind, vmid, target, flags);
  const running = existsSync(runningMarker(kind, vmid));
  const stamp = () => new Date().toISOString().replace('T', ' ').slice(0, 19);
  const log = (line: string) => process.stdout.write(`${stamp()} ${line}\n`);
  const started = Date.now();
  log(
    `starting migration of ${kind === 'qemu' ? 'VM' : 'CT'} ${vmid} to node '${target}' (${resolveHost(target) ?? target})`,
  );
  for (const d of localDisks(g.text).filter((x) => !x.cdrom)) {
    log(`found local disk '${d.volid}' (in current VM config)`);
  }
  log(running ? 'starting online/live migration' : 'copying guest state');
  for (let i = 0; i < 600 && existsSync(MIGRATE_HOLD(vmid)); i++) {
    sleepSync(100);
  }
  if (existsSync(MIGRATE_FAIL(vmid))) {
    log('migration status: active (transferred 512.0 MiB of 2.0 GiB)');
    log('ERROR: online migrate failure - connection to the target node was lost');
    log('aborting phase 2 - cleanup resources');
    const secs = String(Math.max(1, Math.round((Date.now() - started) / 1000))).padStart(2, '0');
    log(
      `ERROR: migration aborted (duration 00:00:${secs}): online migrate failure - connection to the target node was lost`,
    );
    process.stderr.write('migration aborted\n');
    return 255;
  }
  log('migration status: completed');
  moveGuest(g, target, running);
  log('migration finished successfully (duration 00:00:01)');
  return 0;
}

/** Set by ha-manager.ts (avoids an import cycle). */
export let haMigrateHook: (sid: string, target: string, how: 'migrate' | 'relocate') => number = () => 255;
export function setHaMigrateHook(f: typeof haMigrateHook): void {
  haMigrateHook = f;
}

export function qmTool(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === 'list') {
    process.stdout.write(qmListOutput(localGuests()));
    return 0;
  }
  if (cmd === 'config') {
    const vmid = Number(rest[0]);
    const g = findGuest(vmid);
    if (!g || g.kind !== 'qemu' || g.node !== nodename()) {
      die(`Configuration file 'nodes/${nodename()}/qemu-server/${rest[0] ?? ''}.conf' does not exist\n`);
    }
    // qm config prints the current config (no snapshot sections), keys sorted, digest last.
    const cur = (g.text.split(/^\[/m)[0] ?? '').split('\n').filter((l) => /^\w[\w-]*:/.test(l));
    process.stdout.write(`${cur.sort().join('\n')}\n`);
    return 0;
  }
  if (cmd === 'migrate') {
    return migrate('qemu', rest);
  }
  die(`unknown command 'qm ${cmd ?? ''}' (the Quorate lab stand-in implements list, config, migrate)\n`);
}

export function pctTool(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === 'list') {
    process.stdout.write(pctListOutput(localGuests()));
    return 0;
  }
  if (cmd === 'migrate') {
    return migrate('lxc', rest);
  }
  die(`unknown command 'pct ${cmd ?? ''}' (the Quorate lab stand-in implements list, migrate)\n`);
}

interface LocalFacts {
  version: string;
  cpuModel: string;
  memTotal: number;
  memFree: number;
}

function localFacts(): LocalFacts {
  const v = JSON.parse(readText(`${STANDIN_LIB}/version.json`) ?? '{}') as {
    version?: string;
    cpuModel?: string;
    memTotalMiB?: number;
  };
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  const model = v.cpuModel ?? /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const meminfo = readText('/proc/meminfo') ?? '';
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  const memTotal = v.memTotalMiB !== undefined ? v.memTotalMiB * 1048576 : kb('MemTotal');
  // Memory promised to the guests running here counts as used (the lab runs none for real).
  let promised = 0;
  for (const g of localGuests()) {
    if (g.status === 'running') {
      const conf = findGuest(g.vmid);
      promised += Number(confValue(conf?.text ?? '', 'memory') ?? 512) * 1048576;
    }
  }
  const memFree = Math.max(0, (v.memTotalMiB !== undefined ? memTotal : kb('MemAvailable')) - promised);
  return { version: v.version ?? '8.2.4', cpuModel: model, memTotal, memFree };
}

function nodeStatus(node: string): unknown {
  if (node !== nodename() && node !== 'localhost') {
    const n = clusterNodes().find((x) => x.name === node);
    if (!n) {
      die(`hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known\n`);
    }
    if (!n.online) {
      die(`500 Can't connect to ${resolveHost(node) ?? node}:8006 (No route to host)\n`);
    }
    const r = ssh(resolveHost(node) ?? node, ['pvesh', 'get', `/nodes/${node}/status`, '--output-format', 'json']);
    if (r.code !== 0) {
      die(r.stderr);
    }
    return JSON.parse(r.stdout) as unknown;
  }
  const f = localFacts();
  return {
    pveversion: `pve-manager/${f.version}/faa83925c9641325`,
    cpuinfo: { model: f.cpuModel, cpus: 2, sockets: 1 },
    memory: { total: f.memTotal, free: f.memFree, used: f.memTotal - f.memFree },
  };
}

function clusterResources(): unknown[] {
  const nodes = clusterNodes();
  const out: unknown[] = nodes.map((n) => ({
    id: `node/${n.name}`,
    type: 'node',
    node: n.name,
    status: n.online ? 'online' : 'offline',
  }));
  for (const g of allGuests()) {
    const type = g.kind;
    const online = nodes.find((n) => n.name === g.node)?.online ?? false;
    // Only the node itself knows whether its guest runs (pmxcfs's rrd/status broadcast in reality).
    let status = 'unknown';
    if (g.node === nodename()) {
      status = existsSync(runningMarker(g.kind, g.vmid)) ? 'running' : 'stopped';
    } else if (online) {
      const r = ssh(resolveHost(g.node) ?? g.node, ['test', '-e', runningMarker(g.kind, g.vmid)]);
      status = r.code === 0 ? 'running' : r.code === 1 ? 'stopped' : 'unknown';
    }
    const name =
      confValue(g.text, g.kind === 'qemu' ? 'name' : 'hostname') ?? `${g.kind === 'qemu' ? 'VM' : 'CT'} ${g.vmid}`;
    out.push({
      id: `${type}/${g.vmid}`,
      type,
      vmid: g.vmid,
      name,
      node: g.node,
      status,
      maxmem: Number(confValue(g.text, 'memory') ?? 512) * 1048576,
      ...(haManaged(g.kind, g.vmid) ? { hastate: 'started' } : {}),
    });
  }
  return out;
}

function migratePrecondition(node: string, vmid: number): unknown {
  const g = findGuest(vmid);
  if (!g || g.kind !== 'qemu' || g.node !== node) {
    die(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist\n`);
  }
  const others = clusterNodes()
    .filter((n) => n.name !== node && n.online)
    .map((n) => n.name);
  return {
    running:
      node === nodename()
        ? existsSync(runningMarker('qemu', vmid))
        : ssh(resolveHost(node) ?? node, ['test', '-e', runningMarker('qemu', vmid)]).code === 0,
    allowed_nodes: others,
    not_allowed_nodes: {},
    local_disks: localDisks(g.text),
    local_resources: localResources(g.text),
  };
}

export function pveshTool(argv: string[]): number {
  const { positional } = parseFlags(argv);
  const [verb, path] = positional;
  if (verb !== 'get' || !path) {
    die(`the Quorate lab stand-in's pvesh implements only 'pvesh get PATH --output-format json'\n`);
  }
  let m: RegExpExecArray | null;
  let answer: unknown;
  if (path === '/cluster/resources') {
    answer = clusterResources();
  } else if ((m = /^\/nodes\/([^/]+)\/qemu\/(\d+)\/migrate$/.exec(path))) {
    answer = migratePrecondition(m[1] ?? '', Number(m[2]));
  } else if ((m = /^\/nodes\/([^/]+)\/status$/.exec(path))) {
    answer = nodeStatus(m[1] ?? '');
  } else {
    die(`No '${path.replace(/^\//, '')}' handler defined in the Quorate lab stand-in\n`);
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  return 0;
}
