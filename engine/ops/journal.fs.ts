/** Journals as JSON files in `$QUORATE_HOME/journal/<op-id>.json`, written temp + fsync + rename. */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultHome } from '../store/state.fs';
import type { Journal, JournalStore } from './journal';

/** The state folder (`$QUORATE_HOME` or the OS default, as engine/store decides). */
export function quorateHome(): string {
  return defaultHome();
}

/** Write `data` to `path` atomically (temp file in the same folder, fsync, rename). */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export function fileJournalStore(home: string = quorateHome()): JournalStore {
  const dir = join(home, 'journal');
  return {
    async load(opId) {
      try {
        return JSON.parse(await readFile(join(dir, `${opId}.json`), 'utf8')) as Journal;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async save(journal) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(dir, `${journal.opId}.json`), `${JSON.stringify(journal, null, 2)}\n`);
    },
  };
}
