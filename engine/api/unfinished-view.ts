/**
 * What the window shows of an operation journal left unfinished on a cluster (by any process), read
 * from ops' own journal store with ops' `isUnfinished` — the same journals `runUnfinished` and every
 * `plan*` look at — plus who holds the cluster's lock now. Read only, takes no lock.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isUnfinished, opIdOf, type Journal, type JournalStore } from '../ops/journal';
import { lockHolder } from '../ops/lock.fs';
import { err, ok, type Result } from '../result';
import type { OperationKind, UnfinishedOperation, UnfinishedParams } from './contract';

/** ops' name of each kind (its journal is kept under it). */
export const opOf: Record<OperationKind, string> = {
  'cluster.create': 'create',
  'cluster.join': 'join',
  'cluster.remove': 'remove',
  'qdevice.setup': 'qdevice-setup',
  'qdevice.remove': 'qdevice-remove',
  'cluster.link': 'link',
  expected: 'expected',
};

/** The kind of each ops name that keeps a journal `runUnfinished` can continue. */
const unfinishedKinds = new Map(
  Object.entries(opOf)
    .filter(([kind]) => kind !== 'expected')
    .map(([kind, op]) => [op, kind as UnfinishedParams['kind']]),
);

/** The plan id `runUnfinished` follows a journal's steps under (the window listens for it before calling). */
export const unfinishedPlanId = (op: string, cluster: string): string => `unfinished-${opIdOf({ op, cluster })}`;

/** A journal as the window shows it; null for a journal no kind can continue (or a foreign file). */
function unfinishedView(j: Journal, runningIn: UnfinishedOperation['runningIn']): UnfinishedOperation | null {
  const kind = unfinishedKinds.get(j.plan?.op);
  if (!kind || !Array.isArray(j.plan.steps) || (j.state !== 'running' && j.state !== 'failed')) {
    return null;
  }
  const done = new Set(j.done);
  const steps = j.plan.steps.map((s) => ({
    id: s.id,
    machine: s.machine,
    title: s.title,
    state: done.has(s.id) ? ('done' as const) : j.error?.stepId === s.id ? ('failed' as const) : ('pending' as const),
  }));
  return {
    kind,
    cluster: j.plan.cluster,
    request: j.plan.request ?? j.plan.op,
    state: j.state,
    startedAt: j.startedAt,
    updatedAt: j.updatedAt,
    steps,
    done: steps.filter((s) => s.state === 'done').length,
    error: j.error ?? null,
    runningIn,
    planId: unfinishedPlanId(j.plan.op, j.plan.cluster),
  };
}

/**
 * The newest unfinished journal of `cluster` that a kind can continue; null when there is none, and
 * while this very process holds the cluster's lock: that is the window's own operation, followed in
 * its own dialog, not one left behind ("still running (pid of this engine)" would name ourselves).
 */
export async function findUnfinishedJournal(
  store: JournalStore,
  home: string,
  cluster: string,
  self: { readonly pid: number; readonly host: string } = { pid: process.pid, host: hostname() },
): Promise<Result<UnfinishedOperation | null>> {
  let journals: Journal[];
  try {
    journals = (await store.list?.()) ?? [];
  } catch (e) {
    return err(
      'ops.journal-unreadable',
      `The operation journals of ${cluster} cannot be read: ${(e as Error).message}`,
      `Check the journal folder in ${join(home, 'journal')}; nothing was changed.`,
    );
  }
  const mine = journals
    .filter((j) => j.plan?.cluster === cluster && isUnfinished(j))
    .sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
  const holder = mine.length > 0 ? await lockHolder(home, cluster) : null;
  if (holder && holder.pid === self.pid && holder.host === self.host) {
    return ok(null);
  }
  const runningIn = holder ? { pid: holder.pid, host: holder.host, what: holder.what, since: holder.since } : null;
  for (const j of mine) {
    const view = unfinishedView(j, runningIn);
    if (view) {
      return ok(view);
    }
  }
  return ok(null);
}
