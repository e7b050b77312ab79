/**
 * The marker `ha enable` leaves in Quorate's home (`ha/NAME.json`) for a Pacemaker cluster. Its own
 * module because two parts read it: ha-enable.ts (writes it, and reads it to tell "already
 * enabled") and ha-follow.ts (which Pacemaker clusters to follow at app start). Proxmox clusters
 * need none: ha-manager runs on every node.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicOrThrow } from '../ops/journal.fs';

const markerPath = (home: string, cluster: string) => join(home, 'ha', `${cluster}.json`);

export async function markHaEnabled(home: string, cluster: string, fencing: boolean, now: () => number): Promise<void> {
  await mkdir(join(home, 'ha'), { recursive: true, mode: 0o700 });
  await writeFileAtomicOrThrow(
    markerPath(home, cluster),
    `${JSON.stringify({ engine: 'pacemaker', fencing, enabledAt: now() }, null, 2)}\n`,
  );
}

export const isHaMarked = async (home: string, cluster: string): Promise<boolean> =>
  readFile(markerPath(home, cluster), 'utf8').then(
    () => true,
    () => false,
  );
