/** Journals as JSON files in `$QUORATE_HOME/journal/<op-id>.json`, written temp + fsync + rename. */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../shell';
import { DamagedFileError, parseJsonFile } from '../store/damaged';
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
      const path = join(dir, `${opId}.json`);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          return null;
        }
        throw e;
      }
      const hint =
        `The operation it recorded cannot be resumed or rolled back from it. Check the cluster by hand ` +
        `(quorate status CLUSTER), then move the file aside (${sh`mv ${path} ${`${path}.damaged`}`}) and run the command again.`;
      const j = parseJsonFile(path, text, hint) as Partial<Journal> | null;
      if (
        typeof j !== 'object' ||
        j === null ||
        j.opId !== opId ||
        !Array.isArray(j.done) ||
        typeof j.plan !== 'object'
      ) {
        throw new DamagedFileError(
          path,
          `not an operation journal (expected {"opId": "${opId}", "plan", "done"})`,
          hint,
        );
      }
      return j as Journal;
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
