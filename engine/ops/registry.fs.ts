/**
 * Which machines make up each cluster Quorate manages: `$QUORATE_HOME/clusters/<name>.json`.
 * corosync.conf stays the truth about the nodelist; this maps node names to machines (as added
 * with `quorate hosts add`) and remembers the qnetd machine.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSafeName } from '../corosync/names';
import { sh } from '../shell';
import { DamagedFileError, parseJsonFile } from '../store/damaged';
import { defaultHome } from '../store/state.fs';
import { writeFileAtomicOrThrow } from './journal.fs';
import { acquireLock } from './lock.fs';
import type { ClusterRecord, DamagedRecord } from './cluster-record';

export type { ClusterRecord, DamagedRecord } from './cluster-record';

/**
 * The record file of a cluster, or null for a name that cannot be one: a cluster name becomes a
 * path here, so `../../x` (or anything but a safe name) never reaches the file system.
 */
function recordFile(home: string, name: string): string | null {
  return isSafeName(name) ? join(home, 'clusters', `${name}.json`) : null;
}

function repairHint(path: string): string {
  return `Move it aside (${sh`mv ${path} ${`${path}.damaged`}`}), then add the cluster again with \`quorate clusters adopt --from ADDR\` (or put back a backup of the file).`;
}

/** Reads and checks one record; a file that is not one throws `DamagedFileError` naming it. */
function parseRecord(path: string, name: string, text: string): ClusterRecord {
  const v = parseJsonFile(path, text, repairHint(path)) as Partial<ClusterRecord> | null;
  const nodesOk =
    typeof v?.nodes === 'object' && v.nodes !== null && Object.values(v.nodes).every((m) => typeof m === 'string');
  if (typeof v !== 'object' || v === null || v.name !== name || typeof v.provider !== 'string' || !nodesOk) {
    throw new DamagedFileError(
      path,
      `not a cluster record (expected {"name": "${name}", "provider", "nodes": {node: machine}})`,
      repairHint(path),
    );
  }
  return v as ClusterRecord;
}

/**
 * The record of cluster `name`; null when there is none, or when `name` cannot be a cluster name
 * (refused before any path is built). A damaged file throws `DamagedFileError` (file + how to repair).
 */
export async function loadCluster(name: string, home = defaultHome()): Promise<ClusterRecord | null> {
  const path = recordFile(home, name);
  if (!path) {
    return null;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw e;
  }
  return parseRecord(path, name, text);
}

function pathOrThrow(home: string, name: string): string {
  const path = recordFile(home, name);
  if (!path) {
    // Every way in validates names first (plans, adopt, specFromConf): reaching here is a bug.
    throw new Error(`Quorate bug: ${JSON.stringify(name)} is not a cluster name that can be stored`);
  }
  return path;
}

export async function saveCluster(record: ClusterRecord, home = defaultHome()): Promise<void> {
  const path = pathOrThrow(home, record.name);
  await mkdir(join(home, 'clusters'), { recursive: true, mode: 0o700 });
  await writeFileAtomicOrThrow(path, `${JSON.stringify(record, null, 2)}\n`);
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
  await rm(pathOrThrow(home, name), { force: true });
}

/**
 * Every cluster Quorate manages, by name, and the record files that could not be read: one damaged
 * file must not hide the other clusters from the dashboard or the CLI, and must say which it is.
 */
export async function listClustersChecked(
  home = defaultHome(),
): Promise<{ records: ClusterRecord[]; damaged: DamagedRecord[] }> {
  let files: string[];
  try {
    files = (await readdir(join(home, 'clusters'))).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { records: [], damaged: [] };
    }
    throw e;
  }
  const records: ClusterRecord[] = [];
  const damaged: DamagedRecord[] = [];
  for (const f of files) {
    const name = f.slice(0, -'.json'.length);
    const path = join(home, 'clusters', f);
    try {
      const r = isSafeName(name) ? await loadCluster(name, home) : null;
      if (r) {
        records.push(r);
      } else if (!isSafeName(name)) {
        damaged.push({
          path,
          message: `${path}: "${name}" is not a cluster name Quorate can use`,
          hint: `Rename or remove the file; cluster names are letters, digits, "_", "." and "-".`,
        });
      }
    } catch (e) {
      damaged.push({
        path,
        message: e instanceof DamagedFileError ? e.message : `${path}: ${(e as Error).message}`,
        hint: e instanceof DamagedFileError ? e.hint : 'Check the permissions of the Quorate folder (QUORATE_HOME).',
      });
    }
  }
  return { records, damaged };
}

/** Every cluster whose record loads (see `listClustersChecked` for the ones that do not). */
export async function listClusters(home = defaultHome()): Promise<ClusterRecord[]> {
  return (await listClustersChecked(home)).records;
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
