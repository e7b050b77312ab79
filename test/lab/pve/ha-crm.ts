/**
 * One round of the stand-in's CRM (the HA cluster resource manager, pve-ha-crm's master), pure:
 * the previous manager_status, the quorate membership, the LRMs' modes, the HA resources and where
 * each guest's config lives in → the next manager_status and the configs to steal. Modelled on
 * PVE::HA::Manager and PVE::HA::NodeStatus (read, not copied):
 *  - node states online / maintenance / unknown / fence / gone; a node out of the quorate membership
 *    is `unknown`; its `started` services turn `fence` once it has been out `fenceDelayS`;
 *  - fencing is acknowledged when the CRM gets the node's agent lock (`ha_agent_NODE_lock`), which the
 *    lost node's LRM can no longer refresh: the lock expires `lockTimeoutS` after its last refresh
 *    (real Proxmox: 120 s pmxcfs lock lifetime, while the node's watchdog resets it after 60 s);
 *  - then `recovery`: the config is moved to the least loaded online node, state `started` there;
 *  - crm commands: migrate/relocate SID NODE, enable-/disable-node-maintenance NODE. A node in
 *    maintenance has its services migrated (VMs) or relocated (CTs) away; each remembers the node
 *    (`maintenance_node`) and moves back when the node is online again.
 * Not modelled: HA groups / node affinity rules, CRS scheduling (static/dynamic usage), max_restart /
 * max_relocate and the error state after failed starts, request_start/starting, disarm/arm, `freeze`
 * on node shutdown, the CRM watchdog.
 */

export type NodeState = 'online' | 'maintenance' | 'unknown' | 'fence' | 'gone';

export interface ServiceStatus {
  node: string;
  state: string;
  uid: string;
  target?: string;
  maintenance_node?: string;
  /** A pending crm command (`migrate`/`relocate`, target). */
  cmd?: [string, string];
}

export interface ManagerStatus {
  master_node?: string;
  node_status: Record<string, NodeState>;
  service_status: Record<string, ServiceStatus>;
  node_request?: Record<string, { maintenance?: number }>;
  timestamp?: number;
}

export interface CrmInput {
  readonly prev: ManagerStatus;
  readonly me: string;
  /** Seconds. */
  readonly now: number;
  /** Every cluster node → member of this (quorate) partition. */
  readonly members: Readonly<Record<string, boolean>>;
  /** `mode` of each node's lrm_status (`active`, `maintenance`). */
  readonly lrmModes: Readonly<Record<string, string | undefined>>;
  /** resources.cfg: sid → requested state. */
  readonly resources: Readonly<Record<string, string>>;
  /** sid → the node whose folder holds the guest's config (undefined: no config). */
  readonly guestNode: Readonly<Record<string, string | undefined>>;
  readonly commands: readonly string[];
  readonly fenceDelayS: number;
  /** This CRM's memory of when each node was last seen online (NodeStatus's last_online). */
  readonly lastOnline: Map<string, number>;
  /** Try to take the node's agent lock (fencing acknowledged when it succeeds). */
  takeAgentLock(node: string): boolean;
  /** A fresh service uid (state changes get one, as the LRM results are keyed by it). */
  uid(): string;
}

export interface CrmOutput {
  readonly status: ManagerStatus;
  /** Configs the CRM moves itself (recovery of a fenced node's service: steal_service). */
  readonly steals: readonly { sid: string; from: string; to: string }[];
  readonly log: readonly string[];
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

export function crmRound(input: CrmInput): CrmOutput {
  const ms: ManagerStatus = clone(input.prev);
  ms.node_status ??= {};
  ms.service_status ??= {};
  ms.node_request ??= {};
  const log: string[] = [];
  const steals: { sid: string; from: string; to: string }[] = [];
  const ns = ms.node_status;
  const ss = ms.service_status;
  const setNode = (node: string, state: NodeState): void => {
    const last = ns[node] ?? 'unknown';
    if (last !== state) {
      ns[node] = state;
      log.push(`node '${node}': state changed from '${last}' => '${state}'`);
    }
  };
  const setService = (sid: string, state: string, extra: Partial<ServiceStatus> = {}): void => {
    const sd = ss[sid]!;
    log.push(
      `service '${sid}': state changed from '${sd.state}' to '${state}'${extra.node ? ` (node = ${extra.node})` : ''}`,
    );
    const keep = sd.maintenance_node;
    ss[sid] = { node: extra.node ?? sd.node, state, uid: input.uid() };
    if (extra.target) {
      ss[sid]!.target = extra.target;
    }
    if (keep !== undefined) {
      ss[sid]!.maintenance_node = keep;
    }
  };

  // Node states (NodeStatus::update): members of the quorate partition first, then the others.
  for (const [node, online] of Object.entries(input.members)) {
    if (!online) {
      continue;
    }
    input.lastOnline.set(node, input.now);
    const state = ns[node] ?? 'unknown';
    const mode = input.lrmModes[node];
    if (state === 'online' && mode === 'maintenance') {
      setNode(node, 'maintenance');
    } else if (state === 'unknown' || state === 'gone') {
      setNode(node, 'online');
    } else if (state === 'maintenance' && mode !== 'maintenance') {
      setNode(node, 'online');
    }
  }
  for (const node of Object.keys({ ...ns, ...input.members })) {
    if (input.members[node]) {
      continue;
    }
    const state = ns[node] ?? 'unknown';
    if (state === 'online') {
      setNode(node, 'unknown');
    } else if (state === 'maintenance' && input.lrmModes[node] !== 'maintenance') {
      setNode(node, 'unknown');
    } else if (state === 'unknown' && !(node in input.members)) {
      setNode(node, 'gone');
    }
  }
  const offlineDelayed = (node: string): boolean => {
    if (ns[node] === 'online') {
      return false;
    }
    const last = input.lastOnline.get(node);
    if (last === undefined) {
      input.lastOnline.set(node, input.now);
      return false;
    }
    return input.now - last >= input.fenceDelayS;
  };

  // crm commands (update_crm_commands).
  for (const cmd of input.commands) {
    let m: RegExpExecArray | null;
    if ((m = /^(migrate|relocate)\s+(\S+)\s+(\S+)$/.exec(cmd))) {
      const [, task, sid, node] = m as unknown as [string, string, string, string];
      const sd = ss[sid];
      if (!sd) {
        log.push(`crm command error - no such service: ${cmd}`);
      } else if (ns[node] !== 'online') {
        log.push(`crm command error - node not online: ${cmd}`);
      } else if (sd.node === node) {
        log.push(`ignore crm command - service already on target node: ${cmd}`);
      } else {
        sd.cmd = [task, node];
      }
    } else if ((m = /^enable-node-maintenance\s+(\S+)$/.exec(cmd))) {
      const node = m[1]!;
      if (ns[node] === 'online') {
        ms.node_request[node] = { ...ms.node_request[node], maintenance: 1 };
      } else if (ns[node] === 'maintenance') {
        log.push(`ignoring crm command - node ${node} is already in maintenance state`);
      } else {
        log.push(`crm command error - node not online: ${cmd}`);
      }
    } else if ((m = /^disable-node-maintenance\s+(\S+)$/.exec(cmd))) {
      const node = m[1]!;
      if (ns[node] !== 'maintenance') {
        log.push(`clearing maintenance of node ${node} requested, but it's in state ${ns[node] ?? 'unknown'}`);
      }
      if (ms.node_request[node]) {
        delete ms.node_request[node].maintenance;
      }
    } else if (cmd.trim() !== '') {
      log.push(`unknown crm command: ${cmd}`);
    }
  }

  // Services added to / removed from resources.cfg.
  for (const [sid, req] of Object.entries(input.resources)) {
    if (!ss[sid]) {
      const node = input.guestNode[sid];
      if (node === undefined) {
        continue; // shows as queued / not found until its config exists
      }
      ss[sid] = { node, state: req === 'started' || req === 'enabled' ? 'started' : 'stopped', uid: input.uid() };
      log.push(`adding new service '${sid}' on node '${node}'`);
    }
  }
  for (const sid of Object.keys(ss)) {
    if (!(sid in input.resources)) {
      log.push(`removing stale service '${sid}' (no config)`);
      delete ss[sid];
    }
  }

  // Where services go: an online node, the maintenance fallback first, else the current node, else
  // the one running the fewest services (Usage::Basic's count), by name on a tie.
  // A moving service counts on its target already (as online_node_usage does).
  const load = (node: string): number => Object.values(ss).filter((s) => (s.target ?? s.node) === node).length;
  const selectNode = (sd: ServiceStatus, stay: boolean): string | undefined => {
    const online = Object.keys(ns)
      .filter((n) => ns[n] === 'online')
      .sort();
    if (sd.maintenance_node && online.includes(sd.maintenance_node)) {
      return sd.maintenance_node;
    }
    if (stay && online.includes(sd.node)) {
      return sd.node;
    }
    return online.filter((n) => n !== sd.node).sort((a, b) => load(a) - load(b) || a.localeCompare(b))[0];
  };
  const isVm = (sid: string): boolean => sid.startsWith('vm:');

  for (const sid of Object.keys(ss).sort()) {
    const sd = ss[sid]!;
    const req = input.resources[sid] ?? 'started';
    const wanted = req === 'started' || req === 'enabled';
    const where = input.guestNode[sid];
    switch (sd.state) {
      case 'started': {
        if (ns[sd.node] !== 'online') {
          if (ns[sd.node] !== 'maintenance') {
            if (offlineDelayed(sd.node)) {
              setService(sid, 'fence');
            }
            break;
          }
          sd.maintenance_node = sd.node;
        }
        if (!wanted) {
          setService(sid, 'stopped');
          break;
        }
        if (sd.cmd) {
          const [task, target] = sd.cmd;
          delete sd.cmd;
          if (ns[target] === 'online' && target !== sd.node) {
            log.push(`${task} service '${sid}' to node '${target}'`);
            setService(sid, task, { target });
            break;
          }
        }
        const node = selectNode(sd, true);
        if (node && node !== sd.node) {
          if (sd.maintenance_node === node) {
            log.push(`moving service '${sid}' back to '${node}', node came back from maintenance.`);
            delete sd.maintenance_node;
          }
          const how = isVm(sid) ? 'migrate' : 'relocate';
          log.push(`${how} service '${sid}' to node '${node}'`);
          setService(sid, how, { target: node });
        } else if (sd.maintenance_node === sd.node && ns[sd.node] === 'online') {
          delete sd.maintenance_node;
        }
        break;
      }
      case 'migrate':
      case 'relocate': {
        if (sd.target && where === sd.target) {
          setService(sid, wanted ? 'started' : 'stopped', { node: sd.target });
        } else if (ns[sd.node] !== 'online' && ns[sd.node] !== 'maintenance' && offlineDelayed(sd.node)) {
          setService(sid, 'fence');
        }
        break;
      }
      case 'stopped': {
        if (wanted && ns[sd.node] === 'online') {
          setService(sid, 'started');
        } else if (ns[sd.node] !== 'online' && ns[sd.node] !== 'maintenance' && offlineDelayed(sd.node)) {
          setService(sid, 'fence'); // it may have been running a migration: fence before moving it
        }
        break;
      }
      default:
        break;
    }
  }

  // Fencing (manage's fence loop): a node with services to fence is fenced once its agent lock is ours.
  const fenced = new Map<string, boolean>();
  for (const sid of Object.keys(ss).sort()) {
    const sd = ss[sid]!;
    if (sd.state !== 'fence') {
      continue;
    }
    if (!fenced.has(sd.node)) {
      if (ns[sd.node] !== 'fence') {
        setNode(sd.node, 'fence');
        log.push(`Try to fence node '${sd.node}'`);
      }
      const got = input.takeAgentLock(sd.node);
      if (got) {
        log.push(`fencing: acknowledged - got agent lock for node '${sd.node}'`);
        setNode(sd.node, 'unknown');
      }
      fenced.set(sd.node, got);
    }
    if (fenced.get(sd.node)) {
      setService(sid, 'recovery');
    }
  }

  // Recovery: the fenced node's service to a new node (next_state_recovery), config stolen.
  for (const sid of Object.keys(ss).sort()) {
    const sd = ss[sid]!;
    if (sd.state !== 'recovery') {
      continue;
    }
    const node = selectNode(sd, false);
    if (!node) {
      log.push(`recovering service '${sid}' from fenced node '${sd.node}' failed, no recovery node found`);
      continue;
    }
    log.push(`recover service '${sid}' from fenced node '${sd.node}' to node '${node}'`);
    if (input.guestNode[sid] !== undefined && input.guestNode[sid] !== node) {
      steals.push({ sid, from: input.guestNode[sid]!, to: node });
    }
    const wanted = ['started', 'enabled'].includes(input.resources[sid] ?? 'started');
    setService(sid, wanted ? 'started' : 'stopped', { node });
  }

  for (const [node, req] of Object.entries(ms.node_request)) {
    if (Object.keys(req).length === 0) {
      delete ms.node_request[node];
    }
  }
  ms.master_node = input.me;
  ms.timestamp = input.now;
  return { status: ms, steals, log };
}
