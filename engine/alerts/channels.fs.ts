/**
 * The alert channels: `$QUORATE_HOME/alerts.json` (no secrets: tokens and SMTP passwords live in
 * the OS keyring, account `alert:<id>`), written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertChannel } from '../agent/alert-format';
import { err, ok, type Result } from '../result';
import { ensureHome, writeFileAtomic } from '../store';

export const secretAccountOf = (id: string): string => `alert:${id}`;

const file = (home: string): string => join(home, 'alerts.json');

export async function loadChannels(home: string): Promise<Result<AlertChannel[]>> {
  try {
    const v = JSON.parse(await readFile(file(home), 'utf8')) as { channels?: AlertChannel[] };
    return ok(Array.isArray(v.channels) ? v.channels : []);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return ok([]);
    }
    return err('alerts.unreadable', `cannot read ${file(home)}`, 'check the file (or move it aside to start over)', e);
  }
}

export async function saveChannels(home: string, channels: readonly AlertChannel[]): Promise<Result<void>> {
  const ready = await ensureHome(home);
  if (!ready.ok) {
    return ready;
  }
  return writeFileAtomic(file(home), `${JSON.stringify({ version: 1, channels }, null, 2)}\n`, 0o600);
}
