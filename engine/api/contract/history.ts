/** The contract: the persisted history of a cluster (events, operations) and the operation journals. */
import type { Journal } from '../../ops/journal';
import type { Plan, Step } from '../../ops/plan';
import type { Result } from '../../result';
import { boolean, object, optional, pattern } from '../validators';
import type { ClusterRef } from './shared';
import { clusterName } from './shared';
import type { MethodTable } from './table';

/** One event, in the fixed shape of `quorate events NAME --json`, plus where it came from. */
export interface HistoryEvent {
  /** ISO 8601, desktop clock (agent entries corrected by the measured clock offset). */
  readonly at: string;
  /** A notice kind (`quorum-lost`, `node-left`, …), `operation`, `away`, or an agent journal kind. */
  readonly kind: string;
  readonly node: string | null;
  readonly message: string;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly source: 'monitor' | 'agent' | 'operation';
  /** For operations: the journal `readOperationJournal` opens. */
  readonly opId: string | null;
}

export interface EventsParams extends ClusterRef {
  /** ISO 8601: only events at or after it. */
  readonly since?: string;
  /**
   * Read the agents' journals first (connects to every node; a node that does not answer is said
   * in `unreachable`). Default false: what this desktop already has.
   */
  readonly fromAgents?: boolean;
}

export interface EventsResult {
  readonly events: readonly HistoryEvent[];
  /** Nodes whose journal could not be read this time (with `fromAgents`). */
  readonly unreachable?: readonly string[];
}

/** An operation's journal as the timeline opens it: `engine/ops/journal.ts`'s `Journal`, steps flattened. */
export interface OperationJournalView extends Pick<Journal, 'opId' | 'state' | 'startedAt' | 'updatedAt'> {
  readonly op: Plan['op'];
  readonly cluster: Plan['cluster'];
  readonly steps: readonly (Pick<Step, 'id' | 'machine' | 'title'> & { readonly done: boolean })[];
  readonly error: Pick<NonNullable<Journal['error']>, 'stepId' | 'message'> | null;
}

export interface HistoryApi {
  /** Oldest first. Errors: `history.bad-since`. */
  listEvents(params: EventsParams): Promise<Result<EventsResult>>;
  /** The journal of an operation in the timeline. Errors: `history.no-journal`, `history.bad-journal-id`, `history.damaged-journal`. */
  readOperationJournal(params: { readonly opId: string }): Promise<Result<OperationJournalView>>;
}

const iso = pattern(
  /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/,
  'an ISO 8601 time like 2026-12-01T03:12:00Z',
  40,
);
const opId = pattern(/^[A-Za-z0-9_.-]{1,80}$/, 'an operation id like create-web');

export const historyMethods: MethodTable<HistoryApi> = {
  listEvents: object({
    cluster: clusterName,
    since: optional(iso),
    fromAgents: optional(boolean()),
  }),
  readOperationJournal: object({ opId }),
};
