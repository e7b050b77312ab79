/**
 * Which nodes the user took down on purpose: `$QUORATE_HOME/maintenance/<cluster>.json`. The monitor
 * reads it (synchronously, only when a node departs) to say "node2 is down for maintenance" instead
 * of raising an alarm; the dashboard shows the marks; rolling updates set and clear them.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicOrThrow } from './journal.fs';

export interface MaintenanceMark {
  readonly node: string;
  /** Epoch ms when it was set. */
  readonly since: number;
  /** Who set it: `maintenance enable`, or a rolling run. */
  readonly by: 'maintenance' | 'rolling';
  /** The HA engine that moved the node's resources away, or `corosync` when there is none. */
  readonly engine: 'corosync' | 'pve-ha' | 'pacemaker';
}

const file = (home: string, cluster: string): string => join(home, 'maintenance', `${cluster}.json`);

function parse(text: string): MaintenanceMark[] {
  const v = JSON.parse(text) as { marks?: MaintenanceMark[] };
  return Array.isArray(v.marks) ? v.marks : [];
}

export async function loadMarks(home: string, cluster: string): Promise<MaintenanceMark[]> {
  try {
    return parse(await readFile(file(home, cluster), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw e;
  }
}

/** For the monitor's synchronous check; an unreadable file reads as "no marks" (alarms stay on). */
export function loadMarksSync(home: string, cluster: string): MaintenanceMark[] {
  try {
    return parse(readFileSync(file(home, cluster), 'utf8'));
  } catch {
    return [];
  }
}

async function save(home: string, cluster: string, marks: readonly MaintenanceMark[]): Promise<void> {
  await mkdir(join(home, 'maintenance'), { recursive: true, mode: 0o700 });
  await writeFileAtomicOrThrow(file(home, cluster), `${JSON.stringify({ marks }, null, 2)}\n`);
}

/** Set (or replace) the mark of `mark.node`. */
export async function setMark(home: string, cluster: string, mark: MaintenanceMark): Promise<void> {
  const marks = (await loadMarks(home, cluster)).filter((m) => m.node !== mark.node);
  await save(home, cluster, [...marks, mark]);
}

/** Remove the mark of `node`; nothing when it has none. */
export async function clearMark(home: string, cluster: string, node: string): Promise<void> {
  const marks = await loadMarks(home, cluster);
  if (marks.some((m) => m.node === node)) {
    await save(
      home,
      cluster,
      marks.filter((m) => m.node !== node),
    );
  }
}
