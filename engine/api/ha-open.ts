/**
 * Opening an HA cluster for one use case of service-ha.ts, and the checks every HA change makes
 * first. Its own module because every HA use case (status, enable, add, remove, set, move, standby)
 * and the follower of ha-follow.ts start the same way: one session per reachable node, the engine
 * the cluster's provider chooses, corosync's quorum verdict, "is HA enabled here", polling until a
 * state shows. Keeping that here lets service-ha.ts read as the list of use cases.
 */
import { parseQuorumtoolStatus } from '../corosync/tool-quorumtool';
import type { HaEngine } from '../ha/engine';
import type { HaNodeRunner } from '../ha/pacemaker.ssh';
import { createPacemakerEngine } from '../ha/pacemaker.ssh';
import { createPveHaEngine } from '../ha/pve-ha.ssh';
import type { HaResource, HaStatus } from '../ha/types';
import type { ClusterRecord } from '../ops/registry.fs';
import { loadCluster } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { HaStatusView } from './contract';
import type { HaDeps } from './service-ha';

/** A cluster opened for HA: sessions to its reachable nodes and the engine over them. */
export interface Opened {
  readonly record: ClusterRecord;
  readonly nodes: HaNodeRunner[];
  readonly unreachable: { node: string; message: string }[];
  readonly engine: HaEngine;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openHaCluster(deps: Pick<HaDeps, 'home' | 'connect'>, cluster: string): Promise<Result<Opened>> {
  const record = await loadCluster(cluster, deps.home);
  if (!record) {
    return err('clusters.unknown', `Quorate manages no cluster named ${cluster}.`, 'Check the name: quorate clusters.');
  }
  const nodes: HaNodeRunner[] = [];
  const unreachable: { node: string; message: string }[] = [];
  await Promise.all(
    Object.entries(record.nodes).map(async ([node, machine]) => {
      const s = await deps.connect(machine);
      if (s.ok) {
        nodes.push({ node, runner: s.value });
      } else {
        unreachable.push({ node, message: s.error.message });
      }
    }),
  );
  const order = Object.keys(record.nodes);
  nodes.sort((a, b) => order.indexOf(a.node) - order.indexOf(b.node));
  if (nodes.length === 0) {
    return err(
      'ha.node-unreachable',
      `no node of ${cluster} can be reached`,
      'Check the machines (quorate status NAME).',
    );
  }
  return ok({
    record,
    nodes,
    unreachable,
    engine: record.provider === 'pve' ? createPveHaEngine(nodes) : createPacemakerEngine(nodes),
    close: async () => {
      await Promise.all(nodes.map((n) => n.runner.close()));
    },
  });
}

/** Open the cluster, run `fn`, close every session whatever `fn` returned or threw. */
export async function withHaCluster<T>(
  deps: Pick<HaDeps, 'home' | 'connect'>,
  cluster: string,
  fn: (o: Opened) => Promise<Result<T>>,
): Promise<Result<T>> {
  const o = await openHaCluster(deps, cluster);
  if (!o.ok) {
    return o;
  }
  try {
    return await fn(o.value);
  } finally {
    await o.value.close();
  }
}

/** corosync's own verdict on each reachable node: HA changes need a quorate partition. */
export async function requireQuorum(o: Opened): Promise<Result<void>> {
  const verdicts = await Promise.all(
    o.nodes.map(async (n) => {
      const r = await n.runner.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
      const p = r.ok ? parseQuorumtoolStatus(r.value.stdout) : undefined;
      return p?.ok ? p.value.quorate : false;
    }),
  );
  if (verdicts.some((v) => v)) {
    return ok(undefined);
  }
  return err(
    'ha.no-quorum',
    `${o.record.name} has no quorum: no node reports a quorate partition, so no HA change can be made safely.`,
    'Bring enough nodes back first (quorate status NAME), then try again.',
  );
}

/** The contract's view of one status read (null: nothing read, or HA not running). */
export function haStatusView(
  now: () => number,
  cluster: string,
  s: Result<HaStatus> | null,
  readFrom: string | null,
): HaStatusView {
  const v = s?.ok ? s.value : null;
  return {
    cluster,
    engine: v ? v.engine : null,
    dc: v?.dc ?? null,
    quorate: v?.quorate ?? null,
    fencing: v?.fencing ?? null,
    nodes: v?.nodes ?? [],
    resources: v?.resources ?? [],
    failures: v?.failures ?? [],
    readFrom: v ? readFrom : null,
    updatedAt: now(),
  };
}

/** The engine's status, or an error that is not "Pacemaker is not running here". */
export async function engineStatus(o: Opened): Promise<Result<HaStatus | null>> {
  const s = await o.engine.status();
  if (s.ok) {
    return s;
  }
  return s.error.code === 'ha.not-running' ? ok(null) : s;
}

export async function requireEngine(o: Opened): Promise<Result<HaStatus>> {
  const s = await engineStatus(o);
  if (!s.ok) {
    return s;
  }
  if (!s.value) {
    return err(
      'ha.not-enabled',
      `HA is not enabled on ${o.record.name}.`,
      `Enable it first: quorate ha enable ${o.record.name}`,
    );
  }
  return ok(s.value);
}

export function resourceOf(s: HaStatus, id: string, cluster: string): Result<HaResource> {
  const r = s.resources.find((x) => x.id === id);
  return r
    ? ok(r)
    : err(
        'ha.unknown-resource',
        `${cluster} has no HA resource "${id}" (it has: ${s.resources.map((x) => x.id).join(', ') || 'none'}).`,
        `List them: quorate ha status ${cluster}`,
      );
}

/** What every change needs first: quorum, then the running engine's status. */
export async function readyToChange(o: Opened): Promise<Result<HaStatus>> {
  const q = await requireQuorum(o);
  if (!q.ok) {
    return q;
  }
  return requireEngine(o);
}

/** `readyToChange`, and resource `id` in that status. */
export async function readyResource(
  o: Opened,
  id: string,
  cluster: string,
): Promise<Result<{ status: HaStatus; resource: HaResource }>> {
  const s = await readyToChange(o);
  if (!s.ok) {
    return s;
  }
  const r = resourceOf(s.value, id, cluster);
  return r.ok ? ok({ status: s.value, resource: r.value }) : r;
}

/** Poll the engine until `pred` holds (or the time is up); returns the last status read. */
export async function waitFor(o: Opened, pred: (s: HaStatus) => boolean, timeoutMs: number): Promise<HaStatus | null> {
  const end = Date.now() + timeoutMs;
  let last: HaStatus | null = null;
  for (;;) {
    const s = await o.engine.status();
    if (s.ok) {
      last = s.value;
      if (pred(s.value)) {
        return s.value;
      }
    }
    if (Date.now() > end) {
      return last;
    }
    await sleep(500);
  }
}
