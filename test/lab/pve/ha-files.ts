/**
 * The HA files of the stand-in's shared /etc/pve, as pve-ha-manager keeps them (PVE::HA::Config):
 * ha/resources.cfg (section config: `vm: 100` then tab-indented `state started`), ha/manager_status
 * (the CRM master's JSON), ha/crm_commands (one command a line, read and emptied by the master),
 * nodes/NODE/lrm_status (each LRM's JSON), and the pmxcfs-style locks in priv/lock (ha-locks.ts).
 * The lab's timings for the HA daemon are in /usr/local/lib/pve-standin/ha.json (install.ts).
 */
import { appendFileSync, existsSync, renameSync } from 'node:fs';
import type { ManagerStatus } from './ha-crm';
import { STANDIN_LIB } from './guests';
import { PVE, checkCfsQuorum, die, readText, writeAtomic } from './sys';

export const RESOURCES = `${PVE}/ha/resources.cfg`;
export const MANAGER_STATUS = `${PVE}/ha/manager_status`;
export const CRM_COMMANDS = `${PVE}/ha/crm_commands`;
export const lrmStatusPath = (node: string): string => `${PVE}/nodes/${node}/lrm_status`;

export interface HaRes {
  readonly sid: string;
  props: Record<string, string>;
}

export function readResources(): HaRes[] {
  const out: HaRes[] = [];
  let cur: HaRes | null = null;
  for (const line of (readText(RESOURCES) ?? '').split('\n')) {
    const head = /^(vm|ct):\s*(\d+)\s*$/.exec(line);
    if (head) {
      cur = { sid: `${head[1]}:${head[2]}`, props: {} };
      out.push(cur);
    } else if (cur && /^\s+\S/.test(line)) {
      const [k, ...v] = line.trim().split(/\s+/);
      cur.props[k ?? ''] = v.join(' ');
    }
  }
  return out;
}

export function writeResources(list: readonly HaRes[]): void {
  checkCfsQuorum();
  const text = list
    .map(
      (r) =>
        `${r.sid.replace(':', ': ')}\n${Object.entries(r.props)
          .map(([k, v]) => `\t${k} ${v}\n`)
          .join('')}`,
    )
    .join('\n');
  writeAtomic(RESOURCES, text);
}

/** `100` means `vm:100` (PVE::HA::Config::parse_sid). */
export function parseSid(raw: string | undefined): { sid: string; kind: 'qemu' | 'lxc'; vmid: number } {
  const m = /^(?:(vm|ct):)?(\d+)$/.exec(raw ?? '');
  if (!m) {
    die(`400 Parameter verification failed.\nsid: unable to parse service id '${raw ?? ''}'\n`);
  }
  const type = m[1] === 'ct' ? 'ct' : 'vm';
  return { sid: `${type}:${m[2]}`, kind: type === 'ct' ? 'lxc' : 'qemu', vmid: Number(m[2]) };
}

export function readManagerStatus(): ManagerStatus {
  try {
    return JSON.parse(readText(MANAGER_STATUS) ?? '{}') as ManagerStatus;
  } catch {
    return { node_status: {}, service_status: {} };
  }
}

export interface LrmStatus {
  mode?: string;
  state?: string;
  timestamp?: number;
}

export function readLrmStatus(node: string): LrmStatus {
  try {
    return JSON.parse(readText(lrmStatusPath(node)) ?? '{}') as LrmStatus;
  } catch {
    return {};
  }
}

/** queue_crm_commands: appended while quorate; the master empties the file each round. */
export function queueCrmCommand(cmd: string): void {
  checkCfsQuorum();
  appendFileSync(CRM_COMMANDS, `${cmd}\n`);
}

/** read_crm_commands: take the file away (rename is atomic against an append), then read it. */
export function takeCrmCommands(): string[] {
  if (!existsSync(CRM_COMMANDS)) {
    return [];
  }
  const taken = `${CRM_COMMANDS}.taken.${process.pid}`;
  try {
    renameSync(CRM_COMMANDS, taken);
  } catch {
    return [];
  }
  const text = readText(taken) ?? '';
  try {
    renameSync(taken, `${PVE}/ha/.crm_commands.last`);
  } catch {
    /* read anyway */
  }
  return text.split('\n').filter((l) => l.trim() !== '');
}

export interface HaTimings {
  /** How long a node is out of the quorate membership before its services turn `fence` (s). */
  fenceDelayS: number;
  /** pmxcfs lock lifetime: an agent/manager lock not refreshed for this long may be taken (s). */
  lockTimeoutS: number;
  /** Daemon round (s); real pve-ha-crm / pve-ha-lrm run a round about every 10 s. */
  roundS: number;
}

/** Lab defaults: short, so a recovery takes seconds, not Proxmox's ≈ 2 minutes (60 s + 120 s lock). */
export const LAB_HA_TIMINGS: HaTimings = { fenceDelayS: 3, lockTimeoutS: 15, roundS: 1 };

export function haTimings(): HaTimings {
  try {
    return { ...LAB_HA_TIMINGS, ...(JSON.parse(readText(`${STANDIN_LIB}/ha.json`) ?? '{}') as Partial<HaTimings>) };
  } catch {
    return LAB_HA_TIMINGS;
  }
}
