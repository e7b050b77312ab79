/**
 * The history file: `$QUORATE_HOME/history.json` — the timeline (monitor notices, Quorate's own
 * operations, entries merged from the agents' journals) and the notices still open, so both are
 * there after a restart. Bounded to HISTORY_LIMIT entries (oldest dropped), written atomically under
 * a lock (the app and a `quorate` command may both append). Plain JSON only: the api layer maps it.
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../result';
import { acquireLock, ensureHome, writeFileAtomic } from './state.fs';

export const HISTORY_LIMIT = 2000;

export type HistorySeverity = 'critical' | 'warning' | 'info';

export interface HistoryEntry {
  /** Same key = same event: appending it again changes nothing. */
  readonly key: string;
  readonly cluster: string;
  /** Desktop clock, ms (agent entries: corrected by the measured clock offset). */
  readonly at: number;
  /** A notice kind, `operation`, `away` (a "while you were away" summary) or an agent journal kind. */
  readonly kind: string;
  readonly node: string | null;
  readonly severity: HistorySeverity;
  readonly message: string;
  readonly source: 'monitor' | 'agent' | 'operation';
  /** Operations: the journal to open, who ran it and how it ended. */
  readonly opId?: string;
  readonly who?: string;
  readonly outcome?: string;
  /** Agent entries: which node's journal, and the clock offset applied (agent − desktop, ms). */
  readonly reporter?: string;
  readonly offsetMs?: number;
}

export interface HistoryFile {
  readonly version: 1;
  readonly entries: readonly HistoryEntry[];
  /** The open notices (the api's Notice objects, opaque here), keyed as the api keys them. */
  readonly notices: Readonly<Record<string, unknown>>;
  /** `cluster/node` → the last agent journal seq merged. */
  readonly agentSeq: Readonly<Record<string, number>>;
}

export const emptyHistory = (): HistoryFile => ({ version: 1, entries: [], notices: {}, agentSeq: {} });

export function historyPath(home: string): string {
  return join(home, 'history.json');
}

export async function readHistory(home: string): Promise<Result<HistoryFile>> {
  const file = historyPath(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return ok(emptyHistory());
    }
    return err(
      'store.unreadable',
      `cannot read ${file}`,
      'check the permissions of the Quorate folder (QUORATE_HOME)',
      e,
    );
  }
  try {
    const v = JSON.parse(text) as Partial<HistoryFile>;
    return ok({
      version: 1,
      entries: Array.isArray(v.entries) ? v.entries : [],
      notices: v.notices && typeof v.notices === 'object' ? v.notices : {},
      agentSeq: v.agentSeq && typeof v.agentSeq === 'object' ? v.agentSeq : {},
    });
  } catch (e) {
    // A history that is not JSON is not worth refusing to start over: keep it aside, start empty.
    return err('store.history-corrupt', `${file} is not valid JSON`, 'move it aside; Quorate starts a new history', e);
  }
}

/** Entries merged by key (later wins), ordered by time, the newest HISTORY_LIMIT kept. */
export function mergeEntries(a: readonly HistoryEntry[], b: readonly HistoryEntry[]): HistoryEntry[] {
  const byKey = new Map<string, HistoryEntry>();
  for (const e of [...a, ...b]) {
    byKey.set(e.key, e);
  }
  const all = [...byKey.values()].sort((x, y) => x.at - y.at);
  return all.length > HISTORY_LIMIT ? all.slice(all.length - HISTORY_LIMIT) : all;
}

const queues = new Map<string, Promise<unknown>>();

/** Read, change, write under the lock; in-process callers queue. */
export function updateHistory(home: string, change: (h: HistoryFile) => HistoryFile): Promise<Result<HistoryFile>> {
  const run = (queues.get(home) ?? Promise.resolve()).then(async (): Promise<Result<HistoryFile>> => {
    const ready = await ensureHome(home);
    if (!ready.ok) {
      return ready;
    }
    const lock = await acquireLock(join(home, 'history.json.lock'), 10_000);
    if (!lock.ok) {
      return lock;
    }
    try {
      const current = await readHistory(home);
      const next = change(current.ok ? current.value : emptyHistory());
      const written = await writeFileAtomic(historyPath(home), `${JSON.stringify(next)}\n`, 0o600);
      return written.ok ? ok(next) : written;
    } finally {
      await lock.value.release();
    }
  });
  queues.set(
    home,
    run.catch(() => undefined),
  );
  return run;
}

export function appendHistory(home: string, entries: readonly HistoryEntry[]): Promise<Result<HistoryFile>> {
  return updateHistory(home, (h) => ({ ...h, entries: mergeEntries(h.entries, entries) }));
}

/** Who runs this process, as the timeline names the author of an operation: `user@host`. */
export function localActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `${user}@${hostname()}`;
}

/** The parts of an operation journal (engine/ops) the timeline shows. */
export interface OperationRecord {
  readonly opId: string;
  readonly plan: { readonly op: string; readonly cluster: string };
  readonly state: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly error?: { readonly stepId: string; readonly message: string };
}

const OP_TITLES: Readonly<Record<string, string>> = {
  create: 'create the cluster',
  join: 'join a node',
  remove: 'remove a node',
  link: 'change a link',
  'qdevice-setup': 'set up the QDevice',
  'qdevice-remove': 'remove the QDevice',
  expected: 'set expected votes',
};

/** One timeline entry per finished run of an operation (running journals are not history yet). */
export function operationEntry(j: OperationRecord, who: string): HistoryEntry | null {
  if (j.state === 'running') {
    return null;
  }
  const what = OP_TITLES[j.plan.op] ?? j.plan.op;
  const outcome =
    j.state === 'done'
      ? 'done'
      : j.state === 'rolled-back'
        ? 'rolled back'
        : `failed at ${j.error?.stepId ?? '?'}: ${j.error?.message ?? 'no message'}`;
  return {
    key: `op:${j.opId}:${j.startedAt}:${j.state}`,
    cluster: j.plan.cluster,
    at: Date.parse(j.updatedAt) || Date.now(),
    kind: 'operation',
    node: null,
    severity: j.state === 'done' ? 'info' : 'warning',
    message: `${what} (${j.plan.op}) by ${who}: ${outcome}`,
    source: 'operation',
    opId: j.opId,
    who,
    outcome: j.state,
  };
}

/** Records a finished operation; never throws (a history that cannot be written must not fail the op). */
export async function recordOperation(home: string, j: OperationRecord): Promise<Result<void>> {
  const entry = operationEntry(j, localActor());
  if (!entry) {
    return ok(undefined);
  }
  try {
    const r = await appendHistory(home, [entry]);
    return r.ok ? ok(undefined) : r;
  } catch (e) {
    return err('store.unwritable', 'cannot record the operation in the history', 'check QUORATE_HOME', e);
  }
}
