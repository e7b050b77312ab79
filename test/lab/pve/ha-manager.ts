/**
 * `ha-manager status|add|remove|set|migrate|relocate|crm-command` of the Proxmox VE stand-in, over
 * the shared /etc/pve/ha files (ha-files.ts). Refusals use pve-ha-manager's wording (read from
 * PVE::API2::HA::Resources, PVE::HA::Config and PVE::CLI::ha_manager). As on Proxmox, the command
 * only records the request (resources.cfg, crm_commands); the stand-in's HA daemon (ha-daemon.ts:
 * CRM master + LRM per node) carries it out within a round or two, and `status` shows what the CRM
 * wrote to manager_status and each LRM to its lrm_status.
 */
import { allGuests, clusterNodes, findGuest, setHaMigrateHook } from './guest-tools';
import { parseSid, queueCrmCommand, readLrmStatus, readManagerStatus, readResources, writeResources } from './ha-files';
import { cfsQuorate, checkCfsQuorum, die, nodename } from './sys';

const STATES = ['started', 'stopped', 'enabled', 'disabled', 'ignored'];

function options(argv: string[]): { positional: string[]; opts: Record<string, string> } {
  const positional: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--')) {
      opts[a.slice(2)] = argv[i + 1] ?? '';
      i++;
    } else {
      positional.push(a);
    }
  }
  return { positional, opts };
}

/** PVE::API2::HA::Status's timestamp_to_status: older than 30 s is "old timestamp - dead?". */
function fresh(now: number, ts: number | undefined): string {
  if (ts === undefined) {
    return 'old timestamp - dead?';
  }
  return now - ts > 30 ? 'old timestamp - dead?' : now - ts < -2 ? 'detected time drift!' : 'active';
}

/** Perl's scalar localtime: `Tue Dec  1 14:30:00 2026`. */
function perlLocaltime(seconds: number): string {
  const [wd, mon, day, year, time] = new Date(seconds * 1000).toString().split(' ');
  return `${wd} ${mon} ${String(Number(day)).padStart(2)} ${time} ${year}`;
}

/** The lines of `ha-manager status` (pve-manager 8.x: no fencing line yet). */
function status(): number {
  const quorate = cfsQuorate();
  const ms = readManagerStatus();
  const resources = readResources();
  const now = Math.floor(Date.now() / 1000);
  const when = (ts: number | undefined): string => perlLocaltime(ts ?? now);
  let out = quorate ? 'quorum OK\n' : `quorum No quorum on node '${nodename()}'!\n`;
  if (ms.master_node && ms.timestamp !== undefined) {
    let st = fresh(now, ms.timestamp);
    if (quorate && st !== 'active' && resources.length === 0) {
      st = 'idle';
    }
    out += `master ${ms.master_node} (${st}, ${when(ms.timestamp)})\n`;
  }
  for (const node of Object.keys(ms.node_status ?? {}).sort()) {
    const lrm = readLrmStatus(node);
    if (!lrm.timestamp) {
      out += `lrm ${node} (unable to read lrm status)\n`;
      continue;
    }
    let st = fresh(now, lrm.timestamp);
    const active = Object.values(ms.service_status ?? {}).filter(
      (s) => s.node === node && !['stopped', 'error', 'fence', 'recovery'].includes(s.state),
    ).length;
    if (st === 'active') {
      const mode = lrm.mode ?? 'active';
      st =
        mode !== 'active'
          ? `${mode} mode`
          : lrm.state === 'wait_for_agent_lock' && active === 0
            ? 'idle'
            : (lrm.state ?? 'unknown');
    } else if (lrm.mode === 'maintenance') {
      st = 'maintenance mode';
    }
    out += `lrm ${node} (${st}, ${when(lrm.timestamp)})\n`;
  }
  const guests = allGuests();
  for (const r of [...resources].sort((x, y) => x.sid.localeCompare(y.sid))) {
    const ss = ms.service_status?.[r.sid];
    const { kind, vmid } = parseSid(r.sid);
    const confNode = guests.find((g) => g.vmid === vmid && g.kind === kind)?.node;
    const req = r.props.state ?? 'started';
    // get_verbose_service_state, the parts the stand-in's CRM can produce.
    const state =
      req === 'ignored'
        ? 'ignored'
        : confNode === undefined && !ss
          ? 'not found'
          : !ss
            ? 'queued'
            : ss.state === 'stopped' && req === 'disabled'
              ? 'disabled'
              : ss.state;
    out += `service ${r.sid} (${ss?.node ?? confNode ?? '---'}, ${state})\n`;
  }
  process.stdout.write(out);
  return 0;
}

function add(argv: string[]): number {
  const { positional, opts } = options(argv);
  const { sid, kind, vmid } = parseSid(positional[0]);
  const state = opts.state ?? 'started';
  if (!STATES.includes(state)) {
    die(
      `400 Parameter verification failed.\nstate: value '${state}' does not have a value in the enumeration '${STATES.join(', ')}'\n`,
    );
  }
  const list = readResources();
  if (list.some((r) => r.sid === sid)) {
    die(`resource ID '${sid}' already defined\n`);
  }
  const g = findGuest(vmid);
  if (!g || g.kind !== kind) {
    die(`resource '${sid}' does not exist in cluster\n`);
  }
  list.push({ sid, props: { state, ...(opts.max_restart ? { max_restart: opts.max_restart } : {}) } });
  writeResources(list);
  return 0;
}

function remove(argv: string[]): number {
  const { sid } = parseSid(options(argv).positional[0]);
  const list = readResources();
  if (!list.some((r) => r.sid === sid)) {
    die(`cannot delete service '${sid}', not HA managed!\n`);
  }
  writeResources(list.filter((r) => r.sid !== sid));
  return 0;
}

function set(argv: string[]): number {
  const { positional, opts } = options(argv);
  const { sid } = parseSid(positional[0]);
  const list = readResources();
  const r = list.find((x) => x.sid === sid);
  if (!r) {
    die(`service '${sid}' is not HA managed!\n`);
  }
  if (opts.state !== undefined) {
    if (!STATES.includes(opts.state)) {
      die(
        `400 Parameter verification failed.\nstate: value '${opts.state}' does not have a value in the enumeration '${STATES.join(', ')}'\n`,
      );
    }
    r.props.state = opts.state;
  }
  writeResources(list);
  return 0;
}

/** `ha-manager migrate|relocate SID NODE` (crm-command): checked, then queued for the CRM master. */
function haMove(sid: string, target: string, how: 'migrate' | 'relocate'): number {
  const { kind, vmid } = parseSid(sid);
  if (!readResources().some((r) => r.sid === sid)) {
    die(`service '${sid}' not managed by HA\n`);
  }
  const node = clusterNodes().find((n) => n.name === target);
  if (!node) {
    die(`no such cluster node '${target}'\n`);
  }
  if (!node.online) {
    die(`target node '${target}' is not online\n`);
  }
  const g = findGuest(vmid);
  if (!g || g.kind !== kind) {
    die(`resource '${sid}' does not exist in cluster\n`);
  }
  queueCrmCommand(`${how} ${sid} ${target}`);
  return 0;
}

/** `ha-manager crm-command node-maintenance enable|disable NODE` (node-maintenance-set). */
function nodeMaintenance(argv: string[]): number {
  const [action, node] = options(argv).positional;
  if ((action !== 'enable' && action !== 'disable') || !node) {
    die(`400 not enough arguments\nha-manager crm-command node-maintenance <enable|disable> <node>\n`);
  }
  if (!clusterNodes().some((n) => n.name === node)) {
    die(`no such cluster node '${node}'\n`);
  }
  checkCfsQuorum();
  queueCrmCommand(`${action}-node-maintenance ${node}`);
  return 0;
}

setHaMigrateHook(haMove);

export function haManager(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'status':
      return status();
    case 'add':
      return add(rest);
    case 'remove':
      return remove(rest);
    case 'set':
      return set(rest);
    case 'migrate':
    case 'relocate': {
      const { positional } = options(rest);
      const { sid } = parseSid(positional[0]);
      if (!positional[1]) {
        die(`400 not enough arguments\nha-manager ${cmd} <sid> <node>\n`);
      }
      checkCfsQuorum();
      return haMove(sid, positional[1], cmd);
    }
    case 'crm-command': {
      const [sub, ...more] = rest;
      if (sub === 'node-maintenance') {
        return nodeMaintenance(more);
      }
      if (sub === 'migrate' || sub === 'relocate') {
        return haManager([sub, ...more]);
      }
      return die(
        `unknown command 'ha-manager crm-command ${sub ?? ''}' (the stand-in implements migrate, relocate, node-maintenance)\n`,
      );
    }
    default:
      die(
        `unknown command 'ha-manager ${cmd ?? ''}' (the Quorate lab stand-in implements status, add, remove, set, migrate, relocate, crm-command)\n`,
      );
  }
}
