/**
 * Reads, on the cluster's nodes, what the HA requirements (pve-requirements.ts) are checked against:
 * corosync.conf (votes, through engine/model), the guest's config, /etc/pve/storage.cfg and
 * replication.cfg (from any node: /etc/pve is shared), and each node's watchdog setting. Read only:
 * nothing here loads a watchdog module or touches a device.
 */
import { parseConf, readConf, toVotequorumConfig } from '../corosync';
import { quorumSummary } from '../model';
import type { Result } from '../result';
import { err, ok } from '../result';
import { sh } from '../shell';
import type { HaNodeRunner } from './pacemaker.ssh';
import { clusterResources, type PveTools } from './pve-ha.ssh';
import {
  guestVolumes,
  parseStorageCfg,
  replicatedGuests,
  watchdogModule,
  type HaRequirementFacts,
  type NodeWatchdog,
} from './pve-requirements';

const ABSENT = 'QUORATE-FILE-ABSENT';

const catCommand = (path: string): string => `${sh`cat ${path}`} 2>/dev/null || echo ${ABSENT}`;

/** `/etc/default/pve-ha-manager`, then how many watchdog devices the kernel has (never opens one). */
export const WATCHDOG_COMMAND = `cat /etc/default/pve-ha-manager 2>/dev/null; echo; echo "quorate-watchdog-devices=$(ls /sys/class/watchdog 2>/dev/null | wc -l)"`;

/**
 * The votes a cluster has with every node up (engine/model), read from a node's corosync.conf: on
 * Proxmox /etc/pve/corosync.conf (the cluster's copy, which pmxcfs then writes to /etc/corosync).
 */
export async function clusterVotes(
  runAny: (command: string) => Promise<Result<{ out: { stdout: string } }>>,
  path = '/etc/corosync/corosync.conf',
): Promise<{ totalVotes: number | null; nodes: number; qdevice: boolean }> {
  const r = await runAny(catCommand(path));
  const text = r.ok ? r.value.out.stdout : '';
  const doc = text && !text.startsWith(ABSENT) ? parseConf(text) : null;
  if (!doc?.ok) {
    return { totalVotes: null, nodes: 0, qdevice: false };
  }
  const cfg = toVotequorumConfig(readConf(doc.value));
  return { totalVotes: quorumSummary(cfg).totalVotes, nodes: cfg.nodes.length, qdevice: cfg.qdevice !== undefined };
}

export function parseWatchdog(node: string, stdout: string): NodeWatchdog {
  const devices = /^quorate-watchdog-devices=(\d+)$/m.exec(stdout)?.[1];
  return { node, module: watchdogModule(stdout), devices: devices === undefined ? null : Number(devices) };
}

/**
 * Facts for `haRequirements` on a `pve` cluster. `guest` is `vm:ID` / `ct:ID` or null; an id the
 * cluster does not have is `ha.unknown-guest`.
 */
export async function readPveHaFacts(
  t: PveTools,
  nodes: readonly HaNodeRunner[],
  cluster: string,
  guest: string | null,
): Promise<Result<Omit<HaRequirementFacts, 'consent'>>> {
  const votes = await clusterVotes(t.runAny, '/etc/pve/corosync.conf');
  let g: HaRequirementFacts['guest'] = null;
  let storages = parseStorageCfg(null);
  if (guest) {
    const [kind, idText] = guest.split(':');
    const id = Number(idText);
    const res = await clusterResources(t);
    if (!res.ok) {
      return res;
    }
    const found = res.value.find((r) => r.vmid === id && r.type === (kind === 'ct' ? 'lxc' : 'qemu'));
    if (!found?.node) {
      return err(
        'ha.unknown-guest',
        `${cluster} has no ${kind === 'ct' ? 'container' : 'VM'} ${id}.`,
        `List the guests: quorate guests ${cluster}`,
      );
    }
    const dir = kind === 'ct' ? 'lxc' : 'qemu-server';
    const conf = await t.runAny(catCommand(`/etc/pve/nodes/${found.node}/${dir}/${id}.conf`));
    const st = await t.runAny(catCommand('/etc/pve/storage.cfg'));
    const rep = await t.runAny(catCommand('/etc/pve/replication.cfg'));
    const text = (r: typeof st): string | null =>
      r.ok && !r.value.out.stdout.startsWith(ABSENT) ? r.value.out.stdout : null;
    storages = parseStorageCfg(text(st));
    g = { sid: guest, volumes: guestVolumes(text(conf) ?? ''), replicated: replicatedGuests(text(rep)).has(id) };
  }
  const watchdogs = await Promise.all(
    nodes.map(async (n) => {
      const r = await t.run(n.node, WATCHDOG_COMMAND);
      return r.ok ? parseWatchdog(n.node, r.value.stdout) : { node: n.node, module: null, devices: null };
    }),
  );
  return ok({ ...votes, guest: g, storages, watchdogs });
}
