/**
 * The stand-in's HA daemon: one process per node doing what pve-ha-lrm and pve-ha-crm do there
 * (real Proxmox runs them as two services, each a round about every 10 s; here one loop, a round
 * every ha.json `roundS`).
 * - LRM: while quorate and the CRM gave this node services, holds the node's agent lock and makes
 *   the guests match manager_status (running marker on for `started`, off for `stopped`; for
 *   `migrate`/`relocate` it moves the config to the target's folder); writes nodes/NODE/lrm_status.
 *   On losing quorum while active it can no longer refresh the lock: real Proxmox's watchdog then
 *   resets the node (≈ 60 s); the stand-in "self-fences" instead by stopping every guest of the node
 *   (removing their running markers) at once. No watchdog is ever opened (never softdog, never sbd).
 * - CRM: on a quorate node with HA services, competes for ha_manager_lock; the holder is the master
 *   and runs ha-crm.ts's round, moves recovered configs (steal_service) and writes manager_status.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { crmRound, type ManagerStatus } from './ha-crm';
import {
  MANAGER_STATUS,
  haTimings,
  lrmStatusPath,
  parseSid,
  readLrmStatus,
  readManagerStatus,
  readResources,
  takeCrmCommands,
  type HaTimings,
} from './ha-files';
import { agentLock, forgetLocks, managerLock, releaseLock, takeLock } from './ha-locks';
import { allGuests, clusterNodes, confPath } from './guest-tools';
import { PVE, cfsQuorate, nodename, sleepMs, writeAtomic } from './sys';

function log(what: string, message: string): void {
  process.stdout.write(`${new Date().toISOString()} pve-ha-${what}[${process.pid}]: ${message}\n`);
}

const marker = (kind: 'qemu' | 'lxc', vmid: number): string =>
  kind === 'qemu' ? `/run/qemu-server/${vmid}.pid` : `/run/lxc/${vmid}.running`;

const ACTIVE_STATES = ['started', 'stopped', 'request_stop', 'migrate', 'relocate'];

interface LrmMemory {
  state: 'wait_for_agent_lock' | 'active' | 'lost_agent_lock';
}

/** Every guest of this node stopped: what the watchdog reset does to them on a real node. */
function selfFence(): string[] {
  const stopped: string[] = [];
  for (const [dir, ext] of [
    ['/run/qemu-server', '.pid'],
    ['/run/lxc', '.running'],
  ] as const) {
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      if (f.endsWith(ext)) {
        rmSync(`${dir}/${f}`, { force: true });
        stopped.push(`${dir === '/run/lxc' ? 'ct' : 'vm'}:${f.slice(0, -ext.length)}`);
      }
    }
  }
  return stopped;
}

function lrmRound(me: string, t: HaTimings, mem: LrmMemory): void {
  if (!cfsQuorate()) {
    if (mem.state === 'active') {
      const stopped = selfFence();
      log(
        'lrm',
        `lost agent lock (no quorum): a real node's watchdog would reset it now; stand-in self-fence stopped ${stopped.join(', ') || 'nothing'}`,
      );
      forgetLocks();
      mem.state = 'lost_agent_lock';
    }
    return; // lrm_status cannot be written without quorum
  }
  if (mem.state === 'lost_agent_lock') {
    mem.state = 'wait_for_agent_lock'; // "rebooted": waits for its old agent lock to expire
  }
  const ms = readManagerStatus();
  const mode = ms.node_request?.[me]?.maintenance ? 'maintenance' : 'active';
  const mine = Object.entries(ms.service_status ?? {}).filter(
    ([, s]) => s.node === me && ACTIVE_STATES.includes(s.state),
  );
  const nodeOk = ['online', 'maintenance'].includes(ms.node_status?.[me] ?? '');
  if (mine.length > 0 && nodeOk) {
    const got = takeLock(agentLock(me), t.lockTimeoutS);
    if (got && mem.state !== 'active') {
      log('lrm', `successfully acquired lock '${agentLock(me)}', status change wait_for_agent_lock => active`);
    }
    mem.state = got ? 'active' : 'wait_for_agent_lock';
  } else if (mem.state === 'active') {
    releaseLock(agentLock(me));
    mem.state = 'wait_for_agent_lock';
  }
  if (mem.state === 'active') {
    const here = new Set(
      allGuests()
        .filter((g) => g.node === me)
        .map((g) => `${g.kind}:${g.vmid}`),
    );
    mkdirSync('/run/qemu-server', { recursive: true });
    mkdirSync('/run/lxc', { recursive: true });
    for (const [sid, s] of mine) {
      const { kind, vmid } = parseSid(sid);
      const has = here.has(`${kind}:${vmid}`);
      if (s.state === 'started' && has && !existsSync(marker(kind, vmid))) {
        writeFileSync(marker(kind, vmid), '0\n');
        log('lrm', `starting service ${sid}`);
      } else if ((s.state === 'stopped' || s.state === 'request_stop') && existsSync(marker(kind, vmid))) {
        rmSync(marker(kind, vmid), { force: true });
        log('lrm', `stopping service ${sid}`);
      } else if ((s.state === 'migrate' || s.state === 'relocate') && s.target && has) {
        log('lrm', `service ${sid} - start ${s.state} to node '${s.target}'`);
        rmSync(marker(kind, vmid), { force: true });
        renameSync(confPath(kind, me, vmid), confPath(kind, s.target, vmid));
        log('lrm', `service ${sid} - end ${s.state} to node '${s.target}'`);
      }
    }
  }
  writeAtomic(
    lrmStatusPath(me),
    JSON.stringify({ mode, state: mem.state, timestamp: Math.floor(Date.now() / 1000), results: {} }),
  );
}

interface CrmMemory {
  master: boolean;
  lastOnline: Map<string, number>;
}

function crmStep(me: string, t: HaTimings, mem: CrmMemory): void {
  if (!cfsQuorate()) {
    if (mem.master) {
      log('crm', 'lost lock (no quorum), status change master => lost_manager_lock');
      mem.master = false;
      mem.lastOnline.clear();
    }
    return;
  }
  const resources = readResources();
  const prev: ManagerStatus = readManagerStatus();
  if (resources.length === 0 && !mem.master && Object.keys(prev.service_status ?? {}).length === 0) {
    return; // no services: the CRM stays idle and does not take the manager lock
  }
  if (!takeLock(managerLock, t.lockTimeoutS)) {
    mem.master = false;
    return;
  }
  if (!mem.master) {
    log('crm', `successfully acquired lock '${managerLock}', status change slave => master`);
    mem.master = true;
  }
  const members = Object.fromEntries(clusterNodes().map((n) => [n.name, n.online]));
  const guestNode: Record<string, string> = {};
  for (const g of allGuests()) {
    guestNode[`${g.kind === 'qemu' ? 'vm' : 'ct'}:${g.vmid}`] = g.node;
  }
  const out = crmRound({
    prev,
    me,
    now: Math.floor(Date.now() / 1000),
    members,
    lrmModes: Object.fromEntries(Object.keys(members).map((n) => [n, readLrmStatus(n).mode])),
    resources: Object.fromEntries(resources.map((r) => [r.sid, r.props.state ?? 'started'])),
    guestNode,
    commands: takeCrmCommands(),
    fenceDelayS: t.fenceDelayS,
    lastOnline: mem.lastOnline,
    takeAgentLock: (node) => takeLock(agentLock(node), t.lockTimeoutS),
    uid: () => randomBytes(16).toString('base64url').slice(0, 22),
  });
  for (const s of out.steals) {
    const { kind, vmid } = parseSid(s.sid);
    renameSync(confPath(kind, s.from, vmid), confPath(kind, s.to, vmid));
  }
  for (const line of out.log) {
    log('crm', line);
  }
  writeAtomic(MANAGER_STATUS, JSON.stringify(out.status));
}

export function haDaemonLoop(): never {
  const t = haTimings();
  const me = nodename();
  log('lrm', `starting (Quorate lab stand-in; fence delay ${t.fenceDelayS} s, lock lifetime ${t.lockTimeoutS} s)`);
  const lrm: LrmMemory = { state: 'wait_for_agent_lock' };
  const crm: CrmMemory = { master: false, lastOnline: new Map() };
  for (;;) {
    for (const [what, step] of [
      ['lrm', () => lrmRound(me, t, lrm)],
      ['crm', () => crmStep(me, t, crm)],
    ] as const) {
      try {
        if (existsSync(`${PVE}/corosync.conf`)) {
          step();
        }
      } catch (e) {
        log(what, `round failed: ${String(e)}`);
      }
    }
    sleepMs(t.roundS * 1000);
  }
}
