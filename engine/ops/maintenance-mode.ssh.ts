/**
 * Maintenance mode on the node's HA engine, over the nodes' `CommandRunner`s:
 * - Proxmox VE: `ha-manager crm-command node-maintenance enable|disable NODE`, then wait until
 *   `ha-manager status` shows no HA service left on the node (guests that are not HA-managed stay
 *   where they are and are listed); on disable, wait until the services that remembered the node
 *   (manager_status `maintenance_node`) are back on it. Verified on the lab's Proxmox stand-in
 *   (test/lab/pve/ha-daemon.ts, a CRM modelled on pve-ha-manager's), not against a real Proxmox.
 * - Pacemaker (plain Debian, through engine/ha): standby on, wait until no resource runs there.
 * - Bare corosync: nothing runs on the machine; the mark in the state folder is the whole change.
 */
import type { HaEngine } from '../ha/engine';
import type { HaStatus } from '../ha/types';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandRunner } from '../ssh/runner';
import { sh } from '../shell';

export type MaintenanceEngine = 'corosync' | 'pve-ha' | 'pacemaker';

/** What moving a node's resources away achieved. */
export interface DrainReport {
  /** Resources / guests that left the node. */
  readonly moved: readonly string[];
  /** Those that did not, with the reason in the engine's words. */
  readonly stuck: readonly { readonly id: string; readonly why: string }[];
}

export interface DrainOptions {
  /** Give up waiting after this long (ms); what is left is reported as stuck. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- Proxmox VE -------------------------------------------------------------------------------

export function pveMaintenanceCommand(node: string, on: boolean): string {
  return sh`ha-manager crm-command node-maintenance ${on ? 'enable' : 'disable'} ${node}`;
}

export interface PveHaService {
  /** `vm:100`, `ct:101`. */
  readonly sid: string;
  readonly node: string;
  /** `started`, `migrate`, `relocate`, `stopped`, `error`, `fence`, … */
  readonly state: string;
}

/** The `service SID (NODE, STATE)` lines of `ha-manager status`. */
export function parseHaManagerStatus(text: string): PveHaService[] {
  const out: PveHaService[] = [];
  for (const line of text.split('\n')) {
    const m = /^service\s+(\S+)\s+\(([^,()]+),\s*([^)]+)\)/.exec(line.trim());
    if (m) {
      out.push({ sid: m[1]!, node: m[2]!.trim(), state: m[3]!.trim() });
    }
  }
  return out;
}

/** Guests running on the node that HA does not manage (`qm list` / `pct list` rows), by `vm:ID`/`ct:ID`. */
export function parseRunningGuests(qm: string, pct: string): string[] {
  const ids: string[] = [];
  for (const [text, prefix] of [
    [qm, 'vm'],
    [pct, 'ct'],
  ] as const) {
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // qm list: VMID NAME STATUS …; pct list: VMID STATUS [LOCK] NAME.
      if (cols[0] && /^\d+$/.test(cols[0]) && cols.includes('running')) {
        ids.push(`${prefix}:${cols[0]}`);
      }
    }
  }
  return ids;
}

/**
 * Proxmox: switch node-maintenance and, when enabling, wait until the node holds no HA service.
 * `runner` is the node itself (its guests are listed there).
 */
export async function pveMaintenance(
  runner: CommandRunner,
  node: string,
  on: boolean,
  opts: DrainOptions,
): Promise<Result<DrainReport>> {
  // Which services remember this node (moved away by its maintenance), before the disable clears it.
  const remembered = on ? [] : await rememberedBy(runner, node);
  const set = await runner.run(pveMaintenanceCommand(node, on), { timeoutMs: 60_000 });
  if (!set.ok) {
    return set;
  }
  if (set.value.exitCode !== 0) {
    return err(
      'maintenance.ha-manager',
      `ha-manager refused node-maintenance ${on ? 'enable' : 'disable'} on ${node}: ${(set.value.stderr || set.value.stdout).trim()}`,
      'Check `ha-manager status` on the node.',
    );
  }
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const until = now() + opts.timeoutMs;
  if (!on) {
    return pveWaitBack(runner, node, remembered, { ...opts, now, sleep, until });
  }
  let first: PveHaService[] | undefined;
  let left: PveHaService[] = [];
  for (;;) {
    const s = await runner.run('ha-manager status', { timeoutMs: 20_000 });
    if (s.ok && s.value.exitCode === 0) {
      const services = parseHaManagerStatus(s.value.stdout);
      first ??= services.filter((x) => x.node === node);
      left = services.filter((x) => x.node === node && x.state !== 'stopped' && x.state !== 'ignored');
      opts.log?.(
        `${left.length} HA service(s) still on ${node}${left.length ? `: ${left.map((x) => `${x.sid} (${x.state})`).join(', ')}` : ''}`,
      );
      if (left.length === 0) {
        break;
      }
    }
    if (now() >= until) {
      break;
    }
    await sleep(opts.pollMs ?? 2000);
  }
  const guests = await runner.run('qm list 2>/dev/null; echo ---; pct list 2>/dev/null', { timeoutMs: 20_000 });
  const [qm = '', pct = ''] = guests.ok ? guests.value.stdout.split('\n---\n') : [];
  const ha = new Set((first ?? []).map((x) => x.sid));
  const unmanaged = parseRunningGuests(qm, pct).filter((id) => !ha.has(id));
  return ok({
    moved: (first ?? []).filter((x) => !left.some((l) => l.sid === x.sid)).map((x) => x.sid),
    stuck: [
      ...left.map((x) => ({ id: x.sid, why: `HA did not move it (state ${x.state}); local disks or devices?` })),
      ...unmanaged.map((id) => ({ id, why: 'not managed by HA: it stays on the node and stops with it' })),
    ],
  });
}

/** The CRM's /etc/pve/ha/manager_status (JSON): where each service is and the node it remembers. */
export interface PveManagerStatus {
  readonly node_status?: Readonly<Record<string, string>>;
  readonly service_status?: Readonly<
    Record<string, { readonly node?: string; readonly state?: string; readonly maintenance_node?: string }>
  >;
}

export const PVE_MANAGER_STATUS_COMMAND = 'cat /etc/pve/ha/manager_status';

async function managerStatus(runner: CommandRunner): Promise<PveManagerStatus | null> {
  const r = await runner.run(PVE_MANAGER_STATUS_COMMAND, { timeoutMs: 20_000 });
  if (!r.ok || r.value.exitCode !== 0) {
    return null;
  }
  try {
    return JSON.parse(r.value.stdout) as PveManagerStatus;
  } catch {
    return null;
  }
}

async function rememberedBy(runner: CommandRunner, node: string): Promise<string[]> {
  const ms = await managerStatus(runner);
  return Object.entries(ms?.service_status ?? {})
    .filter(([, s]) => s.maintenance_node === node)
    .map(([sid]) => sid);
}

/**
 * After node-maintenance disable: pve-ha-manager moves every service that remembers the node back to
 * it once its LRM is active again. Wait until the node is `online` for the CRM and none of them is
 * still moving or away; what is not back by the deadline is reported as stuck.
 */
async function pveWaitBack(
  runner: CommandRunner,
  node: string,
  remembered: readonly string[],
  opts: DrainOptions & { now: () => number; sleep: (ms: number) => Promise<void>; until: number },
): Promise<Result<DrainReport>> {
  let last: PveManagerStatus | null = null;
  const away = (ms: PveManagerStatus): string[] =>
    remembered.filter((sid) => {
      const s = ms.service_status?.[sid];
      return s !== undefined && (s.node !== node || s.state === 'migrate' || s.state === 'relocate');
    });
  while (remembered.length > 0) {
    last = await managerStatus(runner);
    if (last && last.node_status?.[node] === 'online') {
      const left = away(last);
      opts.log?.(`${remembered.length - left.length} of ${remembered.length} HA service(s) back on ${node}`);
      if (left.length === 0) {
        break;
      }
    }
    if (opts.now() >= opts.until) {
      break;
    }
    await opts.sleep(opts.pollMs ?? 2000);
  }
  const left = last ? away(last) : [...remembered];
  return ok({
    moved: remembered.filter((sid) => !left.includes(sid)),
    stuck: remembered.length
      ? left.map((id) => ({ id, why: `HA has not moved it back to ${node} yet (see ha-manager status)` }))
      : [],
  });
}

// ---- Pacemaker --------------------------------------------------------------------------------

const onNode = (s: HaStatus, node: string) =>
  s.resources.filter(
    (r) => r.node === node && (r.state === 'started' || r.state === 'starting' || r.state === 'stopping'),
  );

/** Pacemaker: standby on/off; when on, wait until no resource runs on the node. */
export async function pacemakerMaintenance(
  engine: HaEngine,
  node: string,
  on: boolean,
  opts: DrainOptions,
): Promise<Result<DrainReport>> {
  const before = await engine.status();
  const had = before.ok ? onNode(before.value, node).map((r) => r.id) : [];
  const set = await engine.standby(node, on);
  if (!set.ok) {
    return set;
  }
  if (!on) {
    return ok({ moved: [], stuck: [] });
  }
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const until = now() + opts.timeoutMs;
  let last: HaStatus | undefined;
  for (;;) {
    const s = await engine.status();
    if (s.ok) {
      last = s.value;
      const left = onNode(s.value, node);
      opts.log?.(`${left.length} resource(s) still on ${node}`);
      if (left.length === 0) {
        break;
      }
    }
    if (now() >= until) {
      break;
    }
    await sleep(opts.pollMs ?? 1000);
  }
  const stuck = last ? onNode(last, node) : [];
  const stopped = last ? last.resources.filter((r) => had.includes(r.id) && r.node === null).map((r) => r.id) : [];
  const why = (id: string): string =>
    last?.failures.find((f) => f.resource === id)?.reason ?? 'Pacemaker kept it there (constraints?)';
  return ok({
    moved: had.filter((id) => !stuck.some((r) => r.id === id) && !stopped.includes(id)),
    stuck: [
      ...stuck.map((r) => ({ id: r.id, why: why(r.id) })),
      ...stopped.map((id) => ({ id, why: 'stopped: no other node may run it' })),
    ],
  });
}
