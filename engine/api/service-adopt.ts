/**
 * Adopt a running cluster Quorate did not create, and forget one. From one trusted member: read
 * its corosync.conf (/etc/pve/corosync.conf on Proxmox VE, else /etc/corosync/corosync.conf),
 * pveversion, authkey hash and `corosync-quorumtool -s` in one SSH round trip, then the same from
 * every other member that is a known machine (in parallel), and register the cluster under its
 * totem.cluster_name in Quorate's registry. Nothing is written on any machine, ever. The pure part
 * (provider, nodes, findings) is adopt-analysis.ts.
 */
import { deleteCluster, listClustersChecked, loadCluster, saveCluster, type ClusterRecord } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { RootSession } from '../ssh';
import type { KnownMachine, MemberReading } from './adopt-analysis';
import { adoption, analyseFrom, parseReading, readingScript } from './adopt-analysis';
import type { AdoptResult, QuorateApi } from './contract';
import type { MachinesService } from './service-machines';

export interface AdoptDeps {
  readonly home: string;
  readonly machines: Pick<MachinesService, 'connect' | 'listMachines'>;
  readonly now: () => number;
  /** The watch service starts streams for the (re-)registered cluster. */
  readonly onClustersChanged?: () => Promise<void> | void;
}

export type AdoptService = Pick<QuorateApi, 'listRegisteredClusters' | 'adoptCluster' | 'forgetCluster'>;

const READ_TIMEOUT_MS = 30_000;

async function readMember(machines: AdoptDeps['machines'], machine: string): Promise<Result<MemberReading>> {
  const s = await machines.connect(machine);
  if (!s.ok) {
    return s;
  }
  const session: RootSession = s.value;
  try {
    const r = await session.run(readingScript, { timeoutMs: READ_TIMEOUT_MS });
    if (!r.ok) {
      return r;
    }
    return ok(parseReading(machine, r.value.stdout));
  } finally {
    await session.close();
  }
}

/** The registered cluster of that name is this one: it shares a machine with it (or has none). */
function sameCluster(existing: ClusterRecord, machines: readonly string[], from: string): boolean {
  const old = [...Object.values(existing.nodes), ...(existing.adopted ? [existing.adopted.from] : [])];
  return old.length === 0 || old.some((m) => m === from || machines.includes(m));
}

export function createAdoptService(deps: AdoptDeps): AdoptService {
  return {
    async adoptCluster({ from }): Promise<Result<AdoptResult>> {
      const listed = await deps.machines.listMachines();
      if (!listed.ok) {
        return listed;
      }
      const known: KnownMachine[] = listed.value
        .filter((m) => m.trusted)
        .map((m) => ({ address: m.address, hostname: m.hostname }));
      const first = await readMember(deps.machines, from);
      if (!first.ok) {
        // The connect path's own error (unknown, untrusted, changed host key…) with its hints, said for adopt.
        return { ok: false, error: { ...first.error, message: `cannot read ${from}: ${first.error.message}` } };
      }
      const base = analyseFrom(first.value, known);
      if (!base.ok) {
        return base;
      }
      // Every other member that is a known machine, read at once.
      const draft = adoption(base.value, [first.value], [], known);
      const others = [...new Set(Object.values(draft.machines))].filter((m) => m !== from);
      const read = await Promise.all(others.map(async (m) => ({ machine: m, r: await readMember(deps.machines, m) })));
      const readings = [first.value, ...read.flatMap((x) => (x.r.ok ? [x.r.value] : []))];
      const unreachable = read.flatMap((x) => (x.r.ok ? [] : [{ machine: x.machine, reason: x.r.error.message }]));
      const done = adoption(base.value, readings, unreachable, known);
      const name = done.result.name;

      const existing = await loadCluster(name, deps.home);
      const machinesNow = Object.values(done.machines);
      if (existing && !sameCluster(existing, machinesNow, from)) {
        return err(
          'adopt.name-taken',
          `Quorate already manages another cluster named ${name} (machines ${Object.values(existing.nodes).join(', ')}), none of which is in the cluster ${from} belongs to`,
          `Forget the other one first (quorate clusters forget ${name}); corosync cluster names must be unique for Quorate.`,
        );
      }
      const record: ClusterRecord = {
        name,
        provider: done.result.provider,
        nodes: done.machines,
        ...(done.qnetd ? { qnetd: done.qnetd } : {}),
        ...(existing?.removed ? { removed: existing.removed } : {}),
        adopted: { from, at: new Date(deps.now()).toISOString() },
      };
      await saveCluster(record, deps.home);
      await deps.onClustersChanged?.();
      return ok(done.result);
    },

    async listRegisteredClusters() {
      const { records, damaged } = await listClustersChecked(deps.home);
      return ok({ clusters: records, damaged });
    },
    async forgetCluster({ cluster }) {
      const existing = await loadCluster(cluster, deps.home);
      if (!existing) {
        return err(
          'ops.unknown-cluster',
          `Quorate manages no cluster named ${cluster}`,
          'See the clusters it manages with `quorate clusters list`.',
        );
      }
      await deleteCluster(cluster, deps.home);
      await deps.onClustersChanged?.();
      return ok(null);
    },
  };
}
