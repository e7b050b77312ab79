/**
 * The agent's own, always-on corosync watch behind its journal (and its alert sender): runs
 * `watchQuorum` from the daemon's start until it stops, whether or not a desktop is connected, and
 * appends every change to `/var/lib/quorate-agent/journal.jsonl` (root-only, bounded to
 * JOURNAL_LIMIT entries). The last view is saved too, so a node that left while the agent was
 * restarting is still journaled when it comes back.
 */
import { appendFile, chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentJournalEntry, JournalView } from './event-journal';
import { bounded, journalChanges, journalViewOf, numbered, parseJournalLines } from './event-journal';
import type { JournalReadResult, QuorumWatchEvent } from './protocol';
import { watchQuorum } from './quorum-watch.proc';
import { AGENT_JOURNAL_FILE, AGENT_STATE_DIR, AGENT_VIEW_FILE } from './state-paths';

export const JOURNAL_LIMIT = 500;
/** Slower than a desktop's watch: a journal needs seconds, not tenths (the alert delay budget is 2 s). */
export const JOURNAL_INTERVAL_MS = 500;

export type JournalListener = (
  entries: readonly AgentJournalEntry[],
  view: JournalView,
  before: JournalView | null,
) => void;

export interface AgentJournal {
  /** Entries with `at` ≥ since (all when absent), oldest first. */
  read(since?: number): Promise<JournalReadResult>;
  /** Called after each change with the new entries and the view after them. */
  onChange(listener: JournalListener): () => void;
  stop(): Promise<void>;
}

export interface JournalOptions {
  readonly dir?: string;
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** The observations (default: corosync through `watchQuorum`); tests feed their own. */
  readonly watch?: (emit: (e: QuorumWatchEvent) => void, signal: AbortSignal) => Promise<void>;
  readonly log?: (line: string) => void;
}

export async function startAgentJournal(options: JournalOptions = {}): Promise<AgentJournal> {
  const dir = options.dir ?? AGENT_STATE_DIR;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const file = join(dir, AGENT_JOURNAL_FILE);
  const viewFile = join(dir, AGENT_VIEW_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  let entries = bounded(parseJournalLines(await readFile(file, 'utf8').catch(() => '')), JOURNAL_LIMIT);
  let view: JournalView | null = await readFile(viewFile, 'utf8')
    .then((t) => JSON.parse(t) as JournalView)
    .catch(() => null);
  const listeners = new Set<JournalListener>();
  // Appends are serialised: entries hit the file in seq order.
  let writing: Promise<void> = Promise.resolve();

  const persist = (added: AgentJournalEntry[], next: JournalView): void => {
    writing = writing.then(async () => {
      try {
        if (added.length > 0) {
          await appendFile(file, added.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
          if (entries.length >= JOURNAL_LIMIT) {
            // Rewrite bounded (temp + rename: a crash leaves the old or the new file).
            const temp = `${file}.tmp`;
            await writeFile(temp, entries.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
            await rename(temp, file);
          }
        }
        const temp = `${viewFile}.tmp`;
        await writeFile(temp, JSON.stringify(next), { mode: 0o600 });
        await rename(temp, viewFile);
      } catch (e) {
        log(`quorate-agent: journal: cannot write ${dir}: ${(e as Error).message}`);
      }
    });
  };

  const observe = (e: QuorumWatchEvent): void => {
    const next = journalViewOf(e);
    const drafts = journalChanges(view, next, now());
    const added = numbered(drafts, entries.at(-1)?.seq ?? 0);
    const before = view;
    view = next;
    entries = bounded([...entries, ...added], JOURNAL_LIMIT);
    persist(added, next);
    if (added.length > 0) {
      for (const l of [...listeners]) {
        try {
          l(added, next, before);
        } catch (err) {
          log(`quorate-agent: journal listener failed: ${(err as Error).message}`);
        }
      }
    }
  };

  const controller = new AbortController();
  const watch =
    options.watch ??
    ((emit: (e: QuorumWatchEvent) => void, signal: AbortSignal) =>
      watchQuorum({ intervalMs: options.intervalMs ?? JOURNAL_INTERVAL_MS }, emit, signal, now));
  const running = watch(observe, controller.signal).catch((e: unknown) =>
    log(`quorate-agent: journal watch ended: ${(e as Error).message}`),
  );

  return {
    async read(since) {
      return { wallMs: now(), entries: since === undefined ? [...entries] : entries.filter((e) => e.at >= since) };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      controller.abort();
      await running;
      await writing;
    },
  };
}
