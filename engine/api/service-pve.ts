/**
 * Proxmox VE guest use cases (issue 14), once for the CLI and the window: list the guests of a `pve`
 * cluster, and migrate one after every pre-check (Proxmox's own precondition answer plus Quorate's,
 * engine/ha/pve-migrate-check.ts), verifying where it runs afterwards. HA-managed guests go through
 * `ha-manager migrate|relocate`, as Proxmox wants; others through `qm migrate` / `pct migrate`.
 */
import type { HaNodeRunner } from '../ha/pacemaker.ssh';
import { blocking, migrateChecks, type PveMigratePrecondition, type PveNodeFacts } from '../ha/pve-migrate-check';
import {
  clusterResources,
  haManagerMoveCommand,
  haManagerStatusCommand,
  MIGRATE_TIMEOUT_MS,
  migrateCommand,
  nodeStatusCommand,
  precondition,
  pveTools,
  qmConfigCommand,
  type PveNodeStatus,
  type PveResource,
  type PveTools,
} from '../ha/pve-ha.ssh';
import { parseHaManagerStatus } from '../ha/pve-status';
import { loadCluster, type ClusterRecord } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import { sh } from '../shell';
import type { CommandRunner } from '../ssh/runner';
import { failureReason, taskLogLines } from '../ha/task-log';
import type { PveApi, PveGuest, PveMigrateOutcome, PveMigrateProgress } from './contract';
import type { EventHub } from './event-hub';

export interface PveDeps {
  readonly home: string;
  readonly connect: (machine: string) => Promise<Result<CommandRunner>>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where a migration's task log lines go as they come (`onDidPveMigrateProgress`). */
  readonly events?: EventHub;
  readonly now?: () => number;
}

interface Opened {
  readonly record: ClusterRecord;
  readonly nodes: HaNodeRunner[];
  readonly tools: PveTools;
}

const kindOf = (type: string): 'vm' | 'ct' | null => (type === 'qemu' ? 'vm' : type === 'lxc' ? 'ct' : null);

function guestsOf(res: readonly PveResource[], haIds: ReadonlySet<string>): PveGuest[] {
  const out: PveGuest[] = [];
  for (const r of res) {
    const kind = kindOf(r.type);
    if (!kind || r.vmid === undefined) {
      continue;
    }
    out.push({
      id: r.vmid,
      kind,
      name: r.name ?? `${kind === 'vm' ? 'VM' : 'CT'} ${r.vmid}`,
      node: r.node ?? '',
      status: r.status ?? 'unknown',
      ha: r.hastate !== undefined || haIds.has(`${kind}:${r.vmid}`),
    });
  }
  return out.sort((a, b) => a.id - b.id);
}

export function createPveService(deps: PveDeps): PveApi {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;

  /** Runs `command` on `node`, each stdout/stderr line to `onLine` as it arrives; refused on a non-zero exit. */
  const runStreaming = async (
    o: Opened,
    node: string,
    command: string,
    onLine: (line: string) => void,
  ): Promise<Result<void>> => {
    const n = o.nodes.find((x) => x.node === node);
    if (!n) {
      return err(
        'pve.node-unreachable',
        `${node} is not a reachable node of this cluster.`,
        'Check the node (quorate status NAME).',
      );
    }
    const out = taskLogLines(onLine);
    const errs = taskLogLines(onLine);
    const r = await n.runner.run(command, {
      timeoutMs: MIGRATE_TIMEOUT_MS,
      progress: (c) => (c.stream === 'stdout' ? out : errs).push(c.text),
    });
    out.end();
    errs.end();
    if (!r.ok) {
      return r;
    }
    return r.value.exitCode === 0
      ? ok(undefined)
      : err(
          'pve.migrate-failed',
          `${node}: ${command.split(' ')[0] ?? ''} exited with ${r.value.exitCode ?? r.value.signal}`,
          'Read the task log above.',
        );
  };

  const withCluster = async <T>(cluster: string, fn: (o: Opened) => Promise<Result<T>>): Promise<Result<T>> => {
    const record = await loadCluster(cluster, deps.home);
    if (!record) {
      return err(
        'clusters.unknown',
        `Quorate manages no cluster named ${cluster}.`,
        'Check the name: quorate clusters.',
      );
    }
    if (record.provider !== 'pve') {
      return err(
        'pve.not-pve',
        `${cluster} is not a Proxmox VE cluster: it has no guests Quorate can list or migrate.`,
        'Use quorate ha for its Pacemaker resources.',
      );
    }
    const nodes: HaNodeRunner[] = [];
    await Promise.all(
      Object.entries(record.nodes).map(async ([node, machine]) => {
        const s = await deps.connect(machine);
        if (s.ok) {
          nodes.push({ node, runner: s.value });
        }
      }),
    );
    const order = Object.keys(record.nodes);
    nodes.sort((a, b) => order.indexOf(a.node) - order.indexOf(b.node));
    if (nodes.length === 0) {
      return err(
        'pve.node-unreachable',
        `no node of ${cluster} can be reached`,
        'Check the machines (quorate status NAME).',
      );
    }
    try {
      return await fn({ record, nodes, tools: pveTools(nodes) });
    } finally {
      await Promise.all(nodes.map((n) => n.runner.close()));
    }
  };

  const haIds = async (t: PveTools): Promise<Set<string>> => {
    const r = await t.runAny(haManagerStatusCommand());
    const p = r.ok ? parseHaManagerStatus(r.value.out.stdout) : null;
    return new Set(p?.ok ? p.value.services.map((s) => s.sid) : []);
  };

  const listGuests = async (o: Opened): Promise<Result<PveGuest[]>> => {
    const res = await clusterResources(o.tools);
    return res.ok ? ok(guestsOf(res.value, await haIds(o.tools))) : res;
  };

  /** Each node's facts, asked of the node itself; an unreachable node is offline and inquorate. */
  const nodeFacts = async (o: Opened, res: readonly PveResource[]): Promise<PveNodeFacts[]> => {
    const names = Object.keys(o.record.nodes);
    return Promise.all(
      names.map(async (name): Promise<PveNodeFacts> => {
        const listed = res.find((r) => r.type === 'node' && r.node === name);
        const reachable = o.nodes.some((n) => n.node === name);
        const none: PveNodeFacts = {
          name,
          online: false,
          quorate: false,
          version: null,
          cpuVendor: null,
          memFree: null,
        };
        if (!reachable || listed?.status !== 'online') {
          return none;
        }
        const q = await o.tools.run(name, sh`corosync-quorumtool -s`);
        const quorate = q.ok && /^Quorate:\s+Yes/m.test(q.value.stdout);
        const st = await o.tools.json<PveNodeStatus>(name, nodeStatusCommand(name));
        const model = st.ok ? (st.value.cpuinfo?.model ?? '') : '';
        return {
          name,
          online: true,
          quorate,
          version: st.ok ? (/pve-manager\/([\d.]+)/.exec(st.value.pveversion ?? '')?.[1] ?? null) : null,
          cpuVendor: /AMD/i.test(model) ? 'AuthenticAMD' : /Intel/i.test(model) ? 'GenuineIntel' : null,
          memFree: st.ok ? (st.value.memory?.free ?? null) : null,
        };
      }),
    );
  };

  return {
    async pveGuests({ cluster }) {
      return withCluster(cluster, async (o) => {
        const g = await listGuests(o);
        return g.ok ? ok({ guests: g.value }) : g;
      });
    },

    async pveMigrate(p) {
      return withCluster(p.cluster, async (o) => {
        const res = await clusterResources(o.tools);
        if (!res.ok) {
          return res;
        }
        const ids = await haIds(o.tools);
        const guest = guestsOf(res.value, ids).find((g) => g.id === p.id && g.kind === p.kind);
        if (!guest) {
          return err(
            'pve.unknown-guest',
            `${p.cluster} has no ${p.kind === 'vm' ? 'VM' : 'container'} ${p.id}.`,
            `List the guests: quorate guests ${p.cluster}`,
          );
        }
        const online = p.online ?? guest.status === 'running';
        const withLocalDisks = p.withLocalDisks ?? false;
        const facts = await nodeFacts(o, res.value);
        let pre: PveMigratePrecondition | null = null;
        let cpu: string | null = null;
        let memoryMiB: number | null = null;
        if (p.kind === 'vm') {
          const pr = await precondition(o.tools, guest.node, p.id);
          if (!pr.ok) {
            return pr;
          }
          pre = pr.value;
          const conf = await o.tools.run(guest.node, qmConfigCommand(p.id));
          if (conf.ok) {
            cpu = /^cpu:\s*(?:cputype=)?([^,\s]+)/m.exec(conf.value.stdout)?.[1] ?? null;
            const mem = /^memory:\s*(\d+)/m.exec(conf.value.stdout)?.[1];
            memoryMiB = mem ? Number(mem) : null;
          }
        } else {
          const maxmem = res.value.find((r) => r.vmid === p.id)?.maxmem;
          memoryMiB = maxmem ? Math.round(maxmem / 1048576) : null;
        }
        const checks = migrateChecks(
          { kind: p.kind, id: p.id, source: guest.node, target: p.to, online, withLocalDisks, cpu, memoryMiB },
          pre,
          facts,
        );
        const via = guest.ha ? ('ha-manager' as const) : p.kind === 'vm' ? ('qm' as const) : ('pct' as const);
        const base = { cluster: p.cluster, kind: p.kind, id: p.id, from: guest.node, to: p.to, checks, via };
        const failed = blocking(checks);
        if (p.plan) {
          return ok<PveMigrateOutcome>({
            ...base,
            status: 'planned',
            node: guest.node,
            log: [],
            message: failed.length
              ? `${failed.length} pre-check(s) would refuse this migration.`
              : 'Every pre-check passes: nothing was changed (--plan).',
          });
        }
        if (failed.length > 0) {
          return ok<PveMigrateOutcome>({
            ...base,
            status: 'refused',
            node: guest.node,
            log: [],
            message: `Not migrated, ${guest.node} still runs it: ${failed.map((c) => c.message).join(' ')}`,
          });
        }
        const command = guest.ha
          ? haManagerMoveCommand(p.kind === 'vm' && online ? 'migrate' : 'relocate', `${p.kind}:${p.id}`, p.to)
          : migrateCommand(p.kind, p.id, p.to, { online, withLocalDisks });
        const log: string[] = [];
        const line = (text: string): void => {
          log.push(text);
          const e: PveMigrateProgress = {
            cluster: p.cluster,
            kind: p.kind,
            id: p.id,
            node: guest.node,
            line: text,
            at: now(),
          };
          deps.events?.emit('onDidPveMigrateProgress', e);
        };
        const ran = await runStreaming(o, guest.node, command, line);
        // Verify where it is now: ha-manager works asynchronously, so follow it (up to a minute).
        let node: string | null = null;
        let lastState = '';
        for (let i = 0; i < (guest.ha && ran.ok ? 60 : 1); i++) {
          const after = await clusterResources(o.tools);
          node = after.ok
            ? (after.value.find((r) => r.vmid === p.id && kindOf(r.type) === p.kind)?.node ?? null)
            : null;
          if (node === p.to || !guest.ha) {
            break;
          }
          if (guest.ha) {
            const st = await o.tools.runAny(haManagerStatusCommand());
            const parsed = st.ok ? parseHaManagerStatus(st.value.out.stdout) : null;
            const svc = parsed?.ok ? parsed.value.services.find((x) => x.sid === `${p.kind}:${p.id}`) : undefined;
            const now = svc ? `ha-manager: ${svc.sid} ${svc.state} on ${svc.node}` : '';
            if (now && now !== lastState) {
              lastState = now;
              line(now);
            }
          }
          await sleep(1000);
        }
        const moved = node === p.to;
        const what = `${p.kind === 'vm' ? 'VM' : 'CT'} ${p.id}`;
        const why = ran.ok ? null : (failureReason(log) ?? ran.error.message);
        const where =
          node === guest.node
            ? `${what} is still on ${guest.node}, where it was (read back from the cluster after the failure): nothing moved.`
            : node
              ? `read back from the cluster, ${what} is now on ${node}, neither where it was nor the target: look at the node before trying again.`
              : `where ${what} is now could not be read back: check the cluster (quorate guests ${p.cluster}).`;
        return ok<PveMigrateOutcome>({
          ...base,
          status: moved ? 'migrated' : 'failed',
          node,
          log,
          message: moved
            ? `${what} now runs on ${p.to} (read back from the cluster).`
            : `The migration failed${why ? ` half-way: ${why}` : ''}. ${where}`,
        });
      });
    },
  };
}
