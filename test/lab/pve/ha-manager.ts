/**
 * `ha-manager status|add|remove|set|migrate|relocate` of the Proxmox VE stand-in, over the shared
 * /etc/pve/ha/resources.cfg (PVE::HA::Config's section-config format: `vm: 100` then tab-indented
 * `state started` …) and /etc/pve/ha/manager_status (the CRM's JSON). Refusals use pve-ha-manager's
 * wording (read from PVE::API2::HA::Resources and PVE::HA::Config).
 * There is no CRM/LRM daemon: a requested change is applied at once by the command (the real CRM
 * applies it within one 10 s round), and a service on a node that left the membership shows `fence`;
 * automatic recovery after the fence delay is NOT reproduced.
 */
import { existsSync } from 'node:fs';
import { allGuests, clusterNodes, findGuest, moveGuest, setHaMigrateHook, type GuestKind } from './guest-tools';
import { PVE, cfsQuorate, checkCfsQuorum, die, readText, writeAtomic } from './sys';

const RESOURCES = `${PVE}/ha/resources.cfg`;
const MANAGER_STATUS = `${PVE}/ha/manager_status`;
const STATES = ['started', 'stopped', 'enabled', 'disabled', 'ignored'];

interface HaRes {
  readonly sid: string;
  props: Record<string, string>;
}

function readResources(): HaRes[] {
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

function writeResources(list: readonly HaRes[]): void {
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
function parseSid(raw: string | undefined): { sid: string; kind: GuestKind; vmid: number } {
  const m = /^(?:(vm|ct):)?(\d+)$/.exec(raw ?? '');
  if (!m) {
    die(`400 Parameter verification failed.\nsid: unable to parse service id '${raw ?? ''}'\n`);
  }
  const type = m[1] === 'ct' ? 'ct' : 'vm';
  return { sid: `${type}:${m[2]}`, kind: type === 'ct' ? 'lxc' : 'qemu', vmid: Number(m[2]) };
}

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

interface ServiceState {
  node: string;
  state: string;
}

function serviceStates(): Record<string, ServiceState> {
  const nodes = clusterNodes();
  const out: Record<string, ServiceState> = {};
  for (const r of readResources()) {
    const { kind, vmid } = parseSid(r.sid);
    const g = allGuests().find((x) => x.vmid === vmid && x.kind === kind);
    const node = g?.node ?? '';
    const req = r.props.state ?? 'started';
    const online = nodes.find((n) => n.name === node)?.online ?? false;
    const state = !g ? 'error' : !online && req !== 'ignored' ? 'fence' : req === 'enabled' ? 'started' : req;
    out[r.sid] = { node, state };
  }
  return out;
}

function writeManagerStatus(): void {
  if (!cfsQuorate()) {
    return;
  }
  const nodes = clusterNodes();
  writeAtomic(
    MANAGER_STATUS,
    JSON.stringify({
      master_node: nodes.find((n) => n.online)?.name ?? null,
      node_status: Object.fromEntries(nodes.map((n) => [n.name, n.online ? 'online' : 'unknown'])),
      service_status: serviceStates(),
      timestamp: Math.floor(Date.now() / 1000),
    }),
  );
}

function status(): number {
  const nodes = clusterNodes();
  const quorate = cfsQuorate();
  const services = serviceStates();
  const when = new Date().toString().replace(/ GMT.*$/, '');
  let out = quorate ? 'quorum OK\n' : `quorum No quorum on node '${nodes.find((n) => n.online)?.name ?? ''}'!\n`;
  const master = quorate ? nodes.find((n) => n.online)?.name : undefined;
  if (master && Object.keys(services).length > 0) {
    out += `master ${master} (active, ${when})\n`;
  }
  for (const n of nodes) {
    if (Object.keys(services).length === 0) {
      break;
    }
    const busy = Object.values(services).some((s) => s.node === n.name);
    out += `lrm ${n.name} (${!n.online ? 'old timestamp - dead?' : busy ? 'active' : 'idle'}, ${when})\n`;
  }
  for (const sid of Object.keys(services).sort()) {
    const s = services[sid]!;
    out += `service ${sid} (${s.node}, ${s.state})\n`;
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
  writeManagerStatus();
  return 0;
}

function remove(argv: string[]): number {
  const { sid } = parseSid(options(argv).positional[0]);
  const list = readResources();
  if (!list.some((r) => r.sid === sid)) {
    die(`cannot delete service '${sid}', not HA managed!\n`);
  }
  writeResources(list.filter((r) => r.sid !== sid));
  writeManagerStatus();
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
  writeManagerStatus();
  return 0;
}

/** What the CRM does for a `migrate`/`relocate` crm command, at once. */
function haMove(sid: string, target: string, how: 'migrate' | 'relocate'): number {
  const { kind, vmid } = parseSid(sid);
  if (!readResources().some((r) => r.sid === sid)) {
    die(`service '${sid}' not managed by HA\n`);
  }
  const node = clusterNodes().find((n) => n.name === target);
  if (!node) {
    die(`node '${target}' is not a member of the cluster\n`);
  }
  if (!node.online) {
    die(`target node '${target}' is not online\n`);
  }
  const g = findGuest(vmid);
  if (!g || g.kind !== kind) {
    die(`resource '${sid}' does not exist in cluster\n`);
  }
  if (g.node === target) {
    return 0; // the CRM ignores a move to the node it is on ("ignore crm command - service already on target node")
  }
  const running = existsSync(kind === 'qemu' ? `/run/qemu-server/${vmid}.pid` : `/run/lxc/${vmid}.running`);
  void how; // migrate = live for a running VM, relocate = stop, move, start: the same file move here.
  moveGuest(g, target, running);
  writeManagerStatus();
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
    default:
      die(
        `unknown command 'ha-manager ${cmd ?? ''}' (the Quorate lab stand-in implements status, add, remove, set, migrate, relocate)\n`,
      );
  }
}
