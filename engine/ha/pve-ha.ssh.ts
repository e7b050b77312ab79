/**
 * Proxmox VE's own tools on the cluster's nodes, through each node's `CommandRunner`: the `pve-ha`
 * implementation of `HaEngine` (ha-manager), and the guest/migration reads and commands the pve use
 * cases need (pvesh, qm, pct). Command text is built with `sh`; parsing is in pve-status.ts.
 * ha-manager ships with every Proxmox node, so install/start/configure have nothing to do, and
 * Pacemaker-only operations (standby, unit and address probes) answer `ha.not-supported`.
 */
import type { Result } from '../result';
import { err, ok } from '../result';
import { sh } from '../shell';
import type { CommandOutput } from '../ssh/runner';
import type { HaEngine } from './engine';
import type { HaNodeRunner } from './pacemaker.ssh';
import type { PveMigratePrecondition } from './pve-migrate-check';
import { parseHaManagerStatus, toHaStatus } from './pve-status';
import type { RequestedState } from './requested-state';
import type { HaStatus } from './types';
import { pollStatus } from './poll';

const TIMEOUT_MS = 30_000;
const MIGRATE_TIMEOUT_MS = 30 * 60_000;
/** A status read on the usual node that has not answered by then makes the other nodes be asked too. */
const SPREAD_AFTER_MS = 3_000;

export interface PveResource {
  readonly id: string;
  readonly type: string;
  readonly vmid?: number;
  readonly name?: string;
  readonly node?: string;
  readonly status?: string;
  readonly maxmem?: number;
  readonly hastate?: string;
}

export interface PveNodeStatus {
  readonly pveversion?: string;
  readonly cpuinfo?: { readonly model?: string };
  readonly memory?: { readonly total?: number; readonly free?: number };
}

export interface PveTools {
  /** Run on `node`; refused when the output's exit code is not 0 (stderr becomes the message). */
  run(node: string, command: string, timeoutMs?: number): Promise<Result<CommandOutput>>;
  /** Run on the first node that answers with exit 0, in order (quorate nodes should come first). */
  runAny(command: string, timeoutMs?: number): Promise<Result<{ node: string; out: CommandOutput }>>;
  json<T>(node: string | null, command: string): Promise<Result<T>>;
}

export function pveTools(nodes: readonly HaNodeRunner[]): PveTools {
  const run = async (node: string, command: string, timeoutMs = TIMEOUT_MS): Promise<Result<CommandOutput>> => {
    const n = nodes.find((x) => x.node === node);
    if (!n) {
      return err(
        'pve.node-unreachable',
        `${node} is not a reachable node of this cluster.`,
        'Check the node (quorate status NAME).',
      );
    }
    const r = await n.runner.run(command, { timeoutMs });
    if (!r.ok) {
      return r;
    }
    if (r.value.exitCode !== 0) {
      return err(
        'pve.refused',
        `${node}: ${(r.value.stderr || r.value.stdout).trim() || `exit ${r.value.exitCode}`}`,
        "Read Proxmox's message above; nothing was changed by Quorate.",
      );
    }
    return r;
  };
  const runAny = async (
    command: string,
    timeoutMs = TIMEOUT_MS,
  ): Promise<Result<{ node: string; out: CommandOutput }>> => {
    let last: Result<CommandOutput> | null = null;
    for (const n of nodes) {
      const r = await run(n.node, command, timeoutMs);
      if (r.ok) {
        return ok({ node: n.node, out: r.value });
      }
      last = r;
    }
    return last && !last.ok
      ? last
      : err('pve.node-unreachable', 'no node of the cluster answers', 'Check the machines (quorate status NAME).');
  };
  const json = async <T>(node: string | null, command: string): Promise<Result<T>> => {
    const r = node === null ? await runAny(command) : await run(node, command);
    if (!r.ok) {
      return r;
    }
    const text = 'out' in r.value ? r.value.out.stdout : r.value.stdout;
    try {
      return ok(JSON.parse(text) as T);
    } catch (e) {
      return err(
        'pve.parse',
        `pvesh printed something that is not JSON: ${text.slice(0, 120)}`,
        'Check pvesh on the node.',
        e,
      );
    }
  };
  return { run, runAny, json };
}

export const haManagerStatusCommand = (): string => sh`ha-manager status`;
export const haManagerAddCommand = (sid: string): string => sh`ha-manager add ${sid} --state started`;
export const haManagerSetCommand = (sid: string, state: RequestedState): string =>
  sh`ha-manager set ${sid} --state ${state}`;
export const haManagerRemoveCommand = (sid: string): string => sh`ha-manager remove ${sid}`;
export const haManagerMoveCommand = (how: 'migrate' | 'relocate', sid: string, node: string): string =>
  sh`ha-manager ${how} ${sid} ${node}`;
export const clusterResourcesCommand = (): string => sh`pvesh get /cluster/resources --output-format json`;
export const nodeStatusCommand = (node: string): string =>
  sh`pvesh get ${`/nodes/${node}/status`} --output-format json`;
export const migratePreconditionCommand = (node: string, vmid: number): string =>
  sh`pvesh get ${`/nodes/${node}/qemu/${vmid}/migrate`} --output-format json`;
export const qmConfigCommand = (vmid: number): string => sh`qm config ${vmid}`;
export function migrateCommand(
  kind: 'vm' | 'ct',
  vmid: number,
  target: string,
  o: { online: boolean; withLocalDisks: boolean },
): string {
  const flags: string[] =
    kind === 'vm'
      ? [...(o.online ? ['--online'] : []), ...(o.withLocalDisks ? ['--with-local-disks'] : [])]
      : o.online
        ? ['--restart']
        : [];
  return sh`${kind === 'vm' ? 'qm' : 'pct'} migrate ${vmid} ${target} ${flags}`;
}

export async function clusterResources(t: PveTools): Promise<Result<PveResource[]>> {
  return t.json<PveResource[]>(null, clusterResourcesCommand());
}

export async function precondition(t: PveTools, node: string, vmid: number): Promise<Result<PveMigratePrecondition>> {
  return t.json<PveMigratePrecondition>(node, migratePreconditionCommand(node, vmid));
}

export function createPveHaEngine(nodes: readonly HaNodeRunner[]): HaEngine {
  const t = pveTools(nodes);
  const notHere = (what: string) =>
    err(
      'ha.not-supported',
      `${what} is a Pacemaker operation; Proxmox's ha-manager has no such thing.`,
      "Use ha-manager's own means (Datacenter → HA in the Proxmox UI).",
    );
  /** Nodes with a status read still outstanding: a cut node's session must not pile up reads. */
  const busy = new Set<string>();
  let readFrom: string | null = null;
  const readOne = async (node: string): Promise<Result<HaStatus>> => {
    busy.add(node);
    try {
      const r = await t.run(node, haManagerStatusCommand());
      if (!r.ok) {
        return r;
      }
      const p = parseHaManagerStatus(r.value.stdout);
      return p.ok ? ok(toHaStatus(p.value)) : p;
    } finally {
      busy.delete(node);
    }
  };
  /**
   * One `ha-manager status` per read, on the node that answered with quorum last time; the other
   * nodes are asked only when it fails, has no quorum, or is silent for SPREAD_AFTER_MS (a cut
   * node's SSH read hangs until its timeout). The first quorate answer wins, else the first answer.
   */
  const status = (): Promise<Result<HaStatus>> =>
    new Promise((resolve) => {
      const asked = new Set<string>();
      let pending = 0;
      let spread = false;
      let done = false;
      let fallback: Result<HaStatus> | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (r: Result<HaStatus>): void => {
        done = true;
        if (timer) {
          clearTimeout(timer);
        }
        resolve(r);
      };
      const settleIfIdle = (): void => {
        if (!done && spread && pending === 0) {
          finish(
            fallback ??
              err('ha.no-node', 'no node of the cluster answers', 'Check the machines (quorate status NAME).'),
          );
        }
      };
      const ask = (node: string): void => {
        if (asked.has(node) || busy.has(node)) {
          return;
        }
        asked.add(node);
        pending++;
        void readOne(node).then((r) => {
          pending--;
          if (done) {
            return;
          }
          if (r.ok && r.value.quorate === true) {
            readFrom = node;
            finish(r);
            return;
          }
          if (!fallback || (!fallback.ok && r.ok)) {
            fallback = r;
          }
          spreadAll();
          settleIfIdle();
        });
      };
      const spreadAll = (): void => {
        if (spread) {
          return;
        }
        spread = true;
        for (const n of nodes) {
          ask(n.node);
        }
        settleIfIdle();
      };
      const first = nodes.find((n) => n.node === readFrom && !busy.has(n.node));
      if (first) {
        ask(first.node);
        timer = setTimeout(spreadAll, SPREAD_AFTER_MS);
      } else {
        spreadAll();
      }
    });
  const okVoid = async (command: string): Promise<Result<void>> => {
    const r = await t.runAny(command);
    return r.ok ? ok(undefined) : r;
  };
  return {
    name: 'pve-ha',
    status,
    inspect: async () =>
      ok(
        nodes.map((n) => ({
          node: n.node,
          missing: [],
          systemd: true,
          apt: true,
          libvirt: false,
          running: true,
          addresses: [],
        })),
      ),
    install: async () => ok(undefined),
    start: async () => ok('already-running' as const),
    configure: async () => ok([]),
    add: async (spec) =>
      spec.kind === 'vm' && /^(vm|ct):\d+$/.test(spec.id)
        ? okVoid(haManagerAddCommand(spec.id))
        : notHere(`Adding a ${spec.kind} resource`),
    remove: async (id) => okVoid(haManagerRemoveCommand(id)),
    move: async (id, node) => okVoid(haManagerMoveCommand(id.startsWith('ct:') ? 'relocate' : 'migrate', id, node)),
    clearMove: async () => ok(undefined),
    setState: async (id, state) => okVoid(haManagerSetCommand(id, state)),
    standby: async () => notHere('Standby'),
    unitOn: async () => notHere('A unit probe'),
    addressInUse: async () => notHere('An address probe'),
    watch: (onStatus, intervalMs) => pollStatus(status, onStatus, intervalMs),
  };
}

export { MIGRATE_TIMEOUT_MS };
