/**
 * The `facts` method: what this machine is. Every sub-fact is collected on its own and a failing one
 * is recorded as an error value in its field; the call itself always succeeds.
 */
import { readFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import * as os from 'node:os';
import { err, ok, type Result } from '../result';
import { execCommand } from './exec.proc';
import {
  parseChronyTracking,
  parseCpuVendor,
  parseDebianVersion,
  parseGuestList,
  parseOsRelease,
  parsePveVersion,
  parseTimedatectl,
  parseToolVersion,
} from './facts-parse';
import {
  AGENT_VERSION,
  type ClusterConfigFact,
  type FactsResult,
  type GuestFact,
  type MembershipFact,
  type NetworkInterfaceFact,
  type TimeSyncFact,
} from './protocol';
import { parseQuorumStatus } from './quorum-status';

async function fact<T>(what: string, collect: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await collect());
  } catch (e) {
    return err(
      'agent.fact-failed',
      `could not read ${what} on ${os.hostname()}`,
      'the rest of the facts are still valid; check the agent log for details',
      e,
    );
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Upstream version of an installed Debian package, null when not installed or no dpkg. */
async function packageVersion(pkg: string): Promise<string | null> {
  const dpkg = await execCommand('dpkg-query', ['-W', '-f=${Version}', pkg], 3000);
  return dpkg.exitCode === 0 ? parseDebianVersion(dpkg.stdout) : null;
}

/** Version of a tool from its own output (`corosync -v`), else from the package database. */
async function toolVersion(file: string, args: readonly string[], pkg: string): Promise<string | null> {
  const out = await execCommand(file, args, 3000);
  if (!out.notFound) {
    const v = parseToolVersion(`${out.stdout}\n${out.stderr}`);
    if (v) {
      return v;
    }
  }
  return packageVersion(pkg);
}

function interfaces(): NetworkInterfaceFact[] {
  return Object.entries(os.networkInterfaces()).map(([name, addrs]) => ({
    name,
    addresses: (addrs ?? []).map((a) => a.cidr ?? a.address),
    mac: (addrs ?? []).find((a) => a.mac && a.mac !== '00:00:00:00:00:00')?.mac ?? null,
    internal: (addrs ?? []).every((a) => a.internal),
  }));
}

async function clusterConfig(): Promise<ClusterConfigFact> {
  const [corosyncConf, pveCorosyncConf, authkeyExists] = await Promise.all([
    readOptional('/etc/corosync/corosync.conf'),
    readOptional('/etc/pve/corosync.conf'),
    exists('/etc/corosync/authkey'),
  ]);
  return { corosyncConf, pveCorosyncConf, authkeyExists };
}

/** `corosync-quorumtool -s` with a timeout: it can block for seconds while a QDevice decides. */
export async function readMembership(timeoutMs = 3000, signal?: AbortSignal): Promise<MembershipFact> {
  const out = await execCommand('corosync-quorumtool', ['-s'], timeoutMs, signal);
  if (out.notFound) {
    return { running: false, raw: '', status: null };
  }
  const status = parseQuorumStatus(out.stdout);
  return { running: status !== null, raw: out.stdout, status };
}

async function guests(): Promise<GuestFact[]> {
  const [qm, pct] = await Promise.all([execCommand('qm', ['list'], 10_000), execCommand('pct', ['list'], 10_000)]);
  const found: GuestFact[] = [];
  for (const [out, kind] of [
    [qm, 'qemu'],
    [pct, 'lxc'],
  ] as const) {
    if (out.notFound) {
      continue;
    }
    if (out.exitCode !== 0) {
      throw new Error(`${kind === 'qemu' ? 'qm' : 'pct'} list failed: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
    }
    found.push(...parseGuestList(out.stdout, kind));
  }
  return found;
}

async function timeSync(): Promise<TimeSyncFact> {
  // sd_booted(3): systemd is PID 1 exactly when /run/systemd/system exists.
  if (await exists('/run/systemd/system')) {
    const out = await execCommand('timedatectl', ['show'], 3000);
    if (out.exitCode === 0) {
      return parseTimedatectl(out.stdout);
    }
  }
  const chrony = await execCommand('chronyc', ['tracking'], 3000);
  if (!chrony.notFound && chrony.exitCode === 0) {
    return parseChronyTracking(chrony.stdout);
  }
  return { source: 'none', synchronized: null, summary: 'no NTP daemon', raw: '' };
}

/** Collect every fact in parallel. */
export async function collectFacts(now: () => number = Date.now): Promise<FactsResult> {
  const [
    hostname,
    machineId,
    osRelease,
    kernel,
    arch,
    cpuVendor,
    corosync,
    corosyncQdevice,
    corosyncQnetd,
    pve,
    ifaces,
    config,
    membership,
    guestList,
    time,
  ] = await Promise.all([
    fact('the hostname', async () => os.hostname()),
    fact('/etc/machine-id', async () => (await readFile('/etc/machine-id', 'utf8')).trim()),
    fact('/etc/os-release', async () =>
      parseOsRelease((await readOptional('/etc/os-release')) ?? (await readFile('/usr/lib/os-release', 'utf8'))),
    ),
    fact('the kernel release', async () => os.release()),
    fact('the architecture', async () => (typeof os.machine === 'function' ? os.machine() : process.arch)),
    fact('/proc/cpuinfo', async () => parseCpuVendor(await readFile('/proc/cpuinfo', 'utf8'))),
    fact('the corosync version', () => toolVersion('corosync', ['-v'], 'corosync')),
    // corosync-qdevice 3.0.3 has no version flag (-h prints only usage): the package database knows.
    fact('the corosync-qdevice version', () => packageVersion('corosync-qdevice')),
    fact('the corosync-qnetd version', () => toolVersion('corosync-qnetd', ['-v'], 'corosync-qnetd')),
    fact('pveversion', async () => {
      const out = await execCommand('pveversion', [], 10_000);
      if (out.notFound) {
        return null;
      }
      const v = parsePveVersion(out.stdout);
      if (v === null) {
        throw new Error(`pveversion printed no pve-manager version: ${out.stdout.trim().slice(0, 200)}`);
      }
      return v;
    }),
    fact('the network interfaces', async () => interfaces()),
    fact('the corosync configuration', clusterConfig),
    fact('the corosync membership', () => readMembership()),
    fact('the guests (qm list / pct list)', guests),
    fact('the time sync state', timeSync),
  ]);
  return {
    agentVersion: AGENT_VERSION,
    nodeVersion: process.version,
    collectedAt: now(),
    hostname,
    machineId,
    osRelease,
    kernel,
    arch,
    cpuVendor,
    versions: { corosync, corosyncQdevice, corosyncQnetd, pve },
    interfaces: ifaces,
    clusterConfig: config,
    membership,
    guests: guestList,
    timeSync: time,
  };
}
