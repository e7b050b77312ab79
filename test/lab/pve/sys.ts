/**
 * What the Proxmox VE stand-in asks of the host it runs on: commands, files, the corosync state and
 * the services. Runs inside a lab host (bundled by install.ts, executed by /usr/bin/node there).
 * Services use the same detached-foreground supervisor as Quorate's own scripts on machines without
 * systemd (engine/ops/scripts.ts: pid file under /run/quorate, log under /var/log/quorate), so a
 * corosync started by `pvecm create` is one Quorate can stop and start again, and the other way round.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { startServiceScript, stopServiceScript } from '../../../engine/ops/scripts';

export const PVE = '/etc/pve';
export const CLUSTER_CONF = '/etc/pve/corosync.conf';
export const HOST_CONF = '/etc/corosync/corosync.conf';
export const AUTHKEY = '/etc/corosync/authkey';
/** In each /etc/pve directory of the stand-in: its absolute path in the lab's shared store. */
export const STORE_MARKER = '/etc/pve/.standin-store';

export class PveError extends Error {}

/** `die "...\n"`: the message pve-cluster prints, exit code 255 as PVE::CLIHandler gives. */
export function die(message: string): never {
  throw new PveError(message);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(argv: string[], opts: { input?: string; inherit?: boolean; timeoutMs?: number } = {}): Ran {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    input: opts.input,
    stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { code: r.status ?? 255, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** PVE::Tools::run_command without noerr: dies "command '…' failed: exit code N". */
export function mustRun(argv: string[], opts: { input?: string; inherit?: boolean } = {}): Ran {
  const r = run(argv, opts);
  if (r.code !== 0) {
    die(`command '${argv.join(' ')}' failed: exit code ${r.code}\n${opts.inherit ? '' : r.stderr}`);
  }
  return r;
}

export function sh(script: string, opts: { inherit?: boolean } = {}): Ran {
  return run(['/bin/sh', '-c', script], opts);
}

export function nodename(): string {
  return hostname().split('.')[0]!;
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** file_set_contents: temp file + rename. */
export function writeAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.tmp.${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** PVE::Cluster::remote_node_ip for this node: its name resolved like corosync would (getent). */
export function resolveHost(name: string): string | undefined {
  const r = run(['getent', 'ahostsv4', name]);
  return r.code === 0 ? r.stdout.split(/\s+/)[0] : undefined;
}

/** Addresses configured on this host's interfaces (PVE::Network::get_local_ip_from_cidr). */
export function localAddresses(): string[] {
  const r = run(['ip', '-o', 'addr', 'show']);
  return [...r.stdout.matchAll(/\binet6? ([0-9a-f.:]+)\//g)].map((m) => m[1]!);
}

export function corosyncRunning(): boolean {
  return run(['corosync-quorumtool', '-l'], { timeoutMs: 10_000 }).code === 0;
}

/** The local corosync's view: quorate, and the node ids in its membership. */
export function corosyncState(): { running: boolean; quorate: boolean; members: number[] } {
  const s = run(['corosync-quorumtool', '-s', '-p'], { timeoutMs: 10_000 });
  if (!/Quorum provider/.test(s.stdout)) {
    return { running: false, quorate: false, members: [] };
  }
  const quorate = /^Quorate:\s+Yes/m.test(s.stdout);
  const m = run(['corosync-cmapctl', '-b', 'runtime.members'], { timeoutMs: 10_000 });
  const members = [...m.stdout.matchAll(/^runtime\.members\.(\d+)\.status \(str\) = joined$/gm)].map((x) =>
    Number(x[1]),
  );
  return { running: true, quorate, members };
}

/**
 * PVE::Cluster::check_cfs_quorum: pmxcfs shows /etc/pve writable only while quorate. The stand-in's
 * pmxcfs remounts the bind mount read-only, so "writable" is asked of the kernel (W_OK).
 */
export function cfsQuorate(): boolean {
  return run(['test', '-w', PVE]).code === 0 && !readOnlyMount();
}

export function readOnlyMount(): boolean {
  const info = readText('/proc/self/mountinfo') ?? '';
  let ro = false;
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    if (f[4] === PVE) {
      ro = (f[5] ?? '').split(',').includes('ro');
    }
  }
  return ro;
}

export function checkCfsQuorum(): void {
  if (!cfsQuorate()) {
    die('cluster not ready - no quorum?\n');
  }
}

export function checkConfExists(): void {
  if (!existsSync(CLUSTER_CONF)) {
    die(`Error: Corosync config '${CLUSTER_CONF}' does not exist - is this node part of a cluster?\n`);
  }
}

type Service = 'corosync' | 'corosync-qdevice';

/** `systemctl start|stop|restart SERVICE` on a host without systemd: Quorate's supervisor scripts. */
export function service(action: 'start' | 'stop' | 'restart', name: Service): Ran {
  if (action === 'restart') {
    const stopped = sh(stopServiceScript(name));
    if (stopped.code !== 0) {
      return stopped;
    }
  }
  return sh(action === 'stop' ? stopServiceScript(name) : startServiceScript(name, 30));
}

/** ssh to another node as pvecm does (`ssh -o BatchMode=yes -lroot ADDR -- …`). */
export function ssh(address: string, command: string[], opts: { input?: string; inherit?: boolean } = {}): Ran {
  const quoted = command.map((a) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return run(['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-lroot', address, '--', ...quoted], opts);
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
