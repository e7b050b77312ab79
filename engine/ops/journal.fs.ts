/** Journals as JSON files in `$QUORATE_HOME/journal/<op-id>.json`, written temp + fsync + rename. */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordOperation } from '../store/history.fs';
import { defaultHome, writeFileAtomic } from '../store/state.fs';
import type { Journal, JournalStore } from './journal';

/**
 * engine/store's atomic write (temp + fsync + rename + folder fsync), throwing: a journal or registry
 * that cannot be written must stop the operation before it changes a machine.
 */
export async function writeFileAtomicOrThrow(path: string, data: string): Promise<void> {
  const written = await writeFileAtomic(path, data);
  if (!written.ok) {
    throw new Error(`${written.error.message}: ${written.error.cause ?? ''} (${written.error.hint})`);
  }
}

export function fileJournalStore(home: string = defaultHome()): JournalStore {
  const dir = join(home, 'journal');
  return {
    async load(opId) {
      try {
        return JSON.parse(await readFile(join(dir, `${opId}.json`), 'utf8')) as Journal;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          return null;
        }
        throw e;
      }
    },
    async list() {
      let names: string[];
      try {
        names = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          return [];
        }
        throw e;
      }
      const out: Journal[] = [];
      for (const f of names) {
        try {
          out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Journal);
        } catch {
          // A torn or foreign file is no journal of ours; the op that owns it reports it.
        }
      }
      return out;
    },
    async save(journal) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomicOrThrow(join(dir, `${journal.opId}.json`), `${JSON.stringify(journal, null, 2)}\n`);
      // The timeline shows each finished run (who, when, outcome); best effort, never fails the op.
      await recordOperation(home, journal);
    },
  };
}
