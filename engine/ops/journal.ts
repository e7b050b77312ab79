/**
 * The journal of one operation: its full plan (so a resumed run continues *that* plan, not a new one
 * made from a half-changed cluster) and which steps finished. Pure; `journal.fs.ts` stores it.
 */
import type { Plan } from './plan';

export type JournalState = 'running' | 'failed' | 'done' | 'rolled-back';

export interface Journal {
  /** `<op>-<cluster>`: the same command finds its own journal. */
  readonly opId: string;
  readonly plan: Plan;
  /** Ids of finished steps, in order. */
  readonly done: readonly string[];
  readonly state: JournalState;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly error?: { readonly stepId: string; readonly code: string; readonly message: string };
}

export interface JournalStore {
  load(opId: string): Promise<Journal | null>;
  /** Atomic: a reader sees the old or the new journal, never a torn one. */
  save(journal: Journal): Promise<void>;
  /** Every journal kept (any op, any cluster); a store that cannot list returns []. */
  list?(): Promise<Journal[]>;
}

export function opIdOf(plan: Pick<Plan, 'op' | 'cluster'>): string {
  return `${plan.op}-${plan.cluster}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** An id as `opIdOf` makes them: a file name in the journal folder, never a path out of it. */
export function isOpId(id: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(id);
}

/** A journal left by an interrupted or failed run that the next run must resume or roll back. */
export function isUnfinished(j: Journal | null): j is Journal {
  return j !== null && (j.state === 'running' || j.state === 'failed');
}
