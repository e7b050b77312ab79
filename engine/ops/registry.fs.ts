/**
 * Which machines make up each cluster Quorate manages: `$QUORATE_HOME/clusters/<name>.json`.
 * corosync.conf stays the truth about the nodelist; this maps node names to machines (as added
 * with `quorate hosts add`) and remembers the qnetd machine.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultHome } from '../store/state.fs';
import { writeFileAtomicOrThrow } from './journal.fs';
import { acquireLock } from './lock.fs';
import type { ProviderName } from './plans';

export interface ClusterRecord {
  readonly name: string;
  readonly provider: ProviderName;
  /** node name → machine address. */
  readonly nodes: Readonly<Record<string, string>>;
  readonly qnetd?: { readonly machine: string; readonly host: string };
  /** Nodes removed while unreachable (name → machine): their old cluster files still wait to be moved aside. */
  readonly removed?: Readonly<Record<string, string>>;
  /** Set for a cluster Quorate did not create (engine/api/service-adopt.ts): read from which machine, when (ISO 8601). */
  readonly adopted?: { readonly from: string; readonly at: string };
}

export async function loadCluster(name: string, home = defaultHome()): Promise<ClusterRecord | null> {
  try {
    return JSON.parse(await readFile(join(home, 'clusters', `${name}.json`), 'utf8')) as ClusterRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw e;
  }
}

export async function saveCluster(record: ClusterRecord, home = defaultHome()): Promise<void> {
  const dir = join(home, 'clusters');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomicOrThrow(join(dir, `${record.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * A locked read-modify-write of one record: `change` sees the record as it is on disk now (null when
 * absent) and returns the new one (null: delete it). Two writers never lose each other's change.
 */
export async function updateCluster(
  name: string,
  home: string,
  change: (current: ClusterRecord | null) => ClusterRecord | null,
): Promise<ClusterRecord | null> {
  for (let attempt = 0; ; attempt++) {
    const lock = await acquireLock(home, `registry-${name}`, `registry update of ${name}`);
    if (lock.ok) {
      try {
        const next = change(await loadCluster(name, home));
        if (next) {
          await saveCluster(next, home);
        } else {
          await deleteCluster(name, home);
        }
        return next;
      } finally {
        await lock.value.release();
      }
    }
    // Registry writes take milliseconds: wait for the other writer rather than fail.
    if (attempt >= 100) {
      throw new Error(lock.error.message);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function deleteCluster(name: string, home = defaultHome()): Promise<void> {
  await rm(join(home, 'clusters', `${name}.json`), { force: true });
}

/**
 * Every cluster Quorate manages, by name. A record that cannot be read is skipped: one damaged file
 * must not hide the other clusters from the dashboard or the CLI.
 */
export async function listClusters(home = defaultHome()): Promise<ClusterRecord[]> {
  let names: string[];
  try {
    names = (await readdir(join(home, 'clusters'))).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw e;
  }
  const records = await Promise.all(names.map((f) => loadCluster(f.slice(0, -'.json'.length), home).catch(() => null)));
  return records.filter((r): r is ClusterRecord => r !== null);
}

/** Names of the clusters in which `machine` (as given to `quorate hosts add`, with or without `:port`) is a node or the qnetd host. */
export function clustersUsingMachine(records: readonly ClusterRecord[], address: string, port?: number): string[] {
  const spellings = new Set(port === undefined ? [address] : [address, `${address}:${port}`]);
  return records
    .filter(
      (c) =>
        Object.values(c.nodes).some((m) => spellings.has(m)) ||
        (c.qnetd !== undefined && spellings.has(c.qnetd.machine)),
    )
    .map((c) => c.name);
}
