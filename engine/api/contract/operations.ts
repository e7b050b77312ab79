/** The contract: operations, planned first, then run exactly as reviewed. */
import type { Step } from '../../ops/plan';
import type { PreflightReport as CheckReport } from '../../preflight/types';
import type { QuorateError, Result } from '../../result';
import type { MethodTable } from './table';
import type { LinkNetwork } from './preflight';
import type { ClusterRef, LinkNumberValue, QuorumSummary } from './shared';
import { address, addresses, cidr, clusterName, linknumber, links, newClusterName, nodeName } from './shared';
import { array, boolean, integer, literal, object, optional, string } from '../validators';

// Operations (plan first, then run exactly the reviewed plan)

export type OperationKind =
  | 'cluster.create'
  | 'cluster.join'
  | 'cluster.remove'
  | 'qdevice.setup'
  | 'qdevice.remove'
  | 'cluster.link'
  | 'expected';

export interface CreateClusterParams {
  /** corosync `cluster_name`: letters, digits and `-`, at most 15 characters (Proxmox's limit). */
  readonly name: string;
  /** The first node founds the cluster. `name` defaults to the machine's hostname; `votes` to 1. */
  readonly nodes: readonly { readonly address: string; readonly name?: string; readonly votes?: number }[];
  readonly links: readonly LinkNetwork[];
}

export interface JoinClusterParams {
  readonly cluster: string;
  readonly addresses: readonly string[];
  /** The network of each link the new machines take their addresses from; default: the cluster's. */
  readonly links?: readonly LinkNetwork[];
}

export interface RemoveNodeParams {
  readonly cluster: string;
  /** Node name in the nodelist. */
  readonly node: string;
  /** Remove even though the node is still a member (it will be fenced out); otherwise it must be off. */
  readonly force: boolean;
  /** With `force`: the cluster name as the user typed it; refused unless it matches. Default: the cluster's. */
  readonly confirm?: string;
  /**
   * With a QDevice and an odd node count afterwards: keep it switched to lms, or remove it too.
   * Without it, such a remove is refused with `ops.remove-qdevice-choice` naming both.
   */
  readonly qdevice?: 'keep-lms' | 'remove';
}

export interface SetupQdeviceParams {
  readonly cluster: string;
  /** Address of the spare machine that will run corosync-qnetd (not a node of the cluster). */
  readonly host: string;
  /** Default: ffsplit for an even node count, lms for an odd one. */
  readonly algorithm?: 'ffsplit' | 'lms';
  /**
   * The user read that with an odd node count a QDevice can make things worse (a tie breaker on a
   * cluster that has no ties; with `ffsplit` the QDevice host becomes a single point whose loss
   * costs a vote) and wants it anyway. Ignored for even counts; refused as `ops.qdevice-odd-count` when needed and false.
   */
  readonly consentOddCount: boolean;
}

export interface ChangeLinkParams {
  readonly cluster: string;
  /** The link to add or change on every node. */
  readonly linknumber: LinkNumberValue;
  /** The network of that link: each node uses its address inside it. */
  readonly network: string;
  /** knet link priority, 0..255 (higher is preferred). */
  readonly priority?: number;
}

export interface SetExpectedParams {
  readonly cluster: string;
  readonly votes: number;
  /** The cluster name typed by the user: the engine refuses (`ops.confirm-mismatch`) unless it matches. */
  readonly confirm: string;
}

export interface FileChange {
  readonly path: string;
  readonly action: 'create' | 'modify' | 'delete';
}

/** A step as the plan shows it: `engine/ops/plan.ts`'s `Step` without its actions. */
export type PlanStep = Pick<Step, 'id' | 'machine' | 'title'>;

export interface OperationPlan {
  /** Pass to `runPlan`. Valid until the engine restarts or the plan is run. */
  readonly id: string;
  readonly kind: OperationKind;
  readonly cluster: string;
  /** One sentence: what will happen. */
  readonly summary: string;
  readonly files: readonly { readonly machine: string; readonly changes: readonly FileChange[] }[];
  readonly steps: readonly PlanStep[];
  /** null when there is no cluster yet. */
  readonly before: QuorumSummary | null;
  readonly after: QuorumSummary;
  readonly warnings: readonly string[];
  /** Things the user must do by hand, in order (e.g. power off the node before removing it). */
  readonly instructions: readonly string[];
  /** The plan in the engine's own terms (provider, files per machine): what the CLI's `--plan` prints. */
  readonly ran?: RanPlan;
  /** create and join: the pre-flight the plan was made from; running refuses while `ok` is false. */
  readonly preflight?: CheckReport;
  /**
   * The plan is what an earlier, interrupted run of this operation left to do (its journal):
   * running it continues that run.
   */
  readonly resumes?: boolean;
}

export interface RunPlanParams {
  readonly planId: string;
}

/** An operation by kind and cluster, whichever process started it. */
export interface UnfinishedParams {
  readonly kind: Exclude<OperationKind, 'expected'>;
  readonly cluster: string;
  /** Undo its finished steps, newest first, instead of continuing it. */
  readonly rollback: boolean;
}

/** Which cluster to look at for an operation journal left unfinished. */
export interface UnfinishedQuery {
  readonly cluster: string;
}

/**
 * An operation journal on a cluster that is neither done nor rolled back (ops' journal in the state
 * folder, whichever process wrote it): what `runUnfinished` would continue or roll back.
 */
export interface UnfinishedOperation {
  readonly kind: UnfinishedParams['kind'];
  readonly cluster: string;
  /** What was asked, as ops recorded it: `join 198.18.0.14`, `remove node3`. */
  readonly request: string;
  /** `running`: stopped without a word (killed, crashed) or still running elsewhere; `failed`: a step failed. */
  readonly state: 'running' | 'failed';
  /** ISO times from the journal. */
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Every step of the journaled plan, in order; `done` counts the finished ones. */
  readonly steps: readonly (PlanStep & { readonly state: 'done' | 'pending' | 'failed' })[];
  readonly done: number;
  readonly error: { readonly stepId: string; readonly code: string; readonly message: string } | null;
  /**
   * Who holds the cluster's lock now: the process still running it (Resume and Roll back are refused
   * as `ops.locked` until it ends). null: nobody, so this window (or `quorate … --rollback`) can continue it.
   */
  readonly runningIn: {
    readonly pid: number;
    readonly host: string;
    readonly what: string;
    readonly since: string;
  } | null;
  /** The plan id the step updates (`onDidUpdateStep`) of `runUnfinished` on it carry. */
  readonly planId: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'rolled-back';

/** Payload of `onDidUpdateStep`. */
export interface StepUpdate {
  readonly planId: string;
  readonly stepId: string;
  /** 0-based position in the plan's steps. */
  readonly index: number;
  readonly total: number;
  readonly state: StepState;
  /** One output line, if this update carries one. */
  readonly line: string | null;
  readonly error: QuorateError | null;
  readonly at: number;
  /** The step's machine and title, as the plan lists them (what the terminal prints as progress). */
  readonly machine?: string;
  readonly title?: string;
}

/**
 * The plan as ops ran it, in the engine's own terms (the CLI's fixed `--json` prints it): the
 * provider, and the files per machine.
 */
export interface RanPlan {
  readonly op: string;
  readonly cluster: string;
  readonly provider: string;
  readonly files: Readonly<Record<string, readonly string[]>>;
  readonly before: QuorumSummary | null;
  readonly after: QuorumSummary;
  readonly warnings: readonly string[];
  readonly steps: readonly PlanStep[];
}

/** What ops reported when the operation itself returned (absent when it stopped with an error). */
export interface RunReport {
  readonly plan: RanPlan;
  /** The journal's state at the end (`done`, `rolled-back`, `failed`, …); null when it kept none. */
  readonly journalState: string | null;
  /** The run continued an interrupted journal of the same operation. */
  readonly resumed: boolean;
  /** `expected` only: what corosync reports after the run; null when it did not answer. */
  readonly expected?: { readonly quorate: boolean; readonly expectedVotes: number } | null;
}

export interface RunOutcome {
  readonly planId: string;
  /** Every step done or skipped (or, for `rollBackPlan`, every finished step undone); `error` says where it stopped. */
  readonly ok: boolean;
  /**
   * The run stopped with its journal unfinished: `resumePlan` continues it, `rollBackPlan` undoes the
   * steps already done. False when nothing is left half-done.
   */
  readonly unfinished: boolean;
  readonly steps: readonly { readonly id: string; readonly state: StepState }[];
  readonly error: QuorateError | null;
  readonly report?: RunReport;
}

export interface OperationsApi {
  planCreateCluster(params: CreateClusterParams): Promise<Result<OperationPlan>>;
  planJoinCluster(params: JoinClusterParams): Promise<Result<OperationPlan>>;
  /** Errors: `ops.node-has-guests`, `ops.node-online` (unless `force`), `ops.would-lose-quorum`. */
  planRemoveNode(params: RemoveNodeParams): Promise<Result<OperationPlan>>;
  /** Errors: `ops.qdevice-odd-count` without consent, `ops.qdevice-host-is-node`. */
  planSetupQdevice(params: SetupQdeviceParams): Promise<Result<OperationPlan>>;
  planRemoveQdevice(params: ClusterRef): Promise<Result<OperationPlan>>;
  /** Errors: `ops.link-nodes-offline`, `ops.link-no-address`. */
  planChangeLink(params: ChangeLinkParams): Promise<Result<OperationPlan>>;
  /** Emergency only: `corosync-quorumtool -e` on a node of the quorate-less partition; until the next membership change. */
  planSetExpected(params: SetExpectedParams): Promise<Result<OperationPlan>>;
  /** Runs a plan returned by a `plan*` method; steps report through `onDidUpdateStep`. */
  runPlan(params: RunPlanParams): Promise<Result<RunOutcome>>;
  /** Continues a run whose outcome said `unfinished`, skipping the steps already done. Errors: `ops.nothing-to-resume`. */
  resumePlan(params: RunPlanParams): Promise<Result<RunOutcome>>;
  /** Undoes the finished steps of a run whose outcome said `unfinished`, newest first. Errors: `ops.nothing-to-resume`. */
  rollBackPlan(params: RunPlanParams): Promise<Result<RunOutcome>>;
  /**
   * Continues or rolls back the unfinished journal of `kind` on `cluster`, also one another process
   * (the CLI, a Quorate that restarted) left. Errors: `ops.nothing-to-resume`, `ops.nothing-to-roll-back`.
   */
  runUnfinished(params: UnfinishedParams): Promise<Result<RunOutcome>>;
  /**
   * The unfinished operation journal of `cluster`, if any; read only, takes no lock. null: none, or
   * this engine holds the cluster now (the window's own operation, followed in its dialog).
   */
  findUnfinished(params: UnfinishedQuery): Promise<Result<UnfinishedOperation | null>>;
}

export interface OperationsEvents {
  onDidUpdateStep: StepUpdate;
}

export const operationsEvents = ['onDidUpdateStep'] as const;

export const operationsMethods: MethodTable<OperationsApi> = {
  planCreateCluster: object({
    name: newClusterName,
    nodes: array(object({ address, name: optional(nodeName), votes: optional(integer(1, 255)) }), { min: 1, max: 32 }),
    links,
  }),
  planJoinCluster: object({ cluster: clusterName, addresses, links: optional(links) }),
  planRemoveNode: object({
    cluster: clusterName,
    node: nodeName,
    force: boolean(),
    confirm: optional(string({ max: 64 })),
    qdevice: optional(literal('keep-lms', 'remove')),
  }),
  planSetupQdevice: object({
    cluster: clusterName,
    host: address,
    algorithm: optional(literal('ffsplit', 'lms')),
    consentOddCount: boolean(),
  }),
  planRemoveQdevice: object({ cluster: clusterName }),
  planChangeLink: object({ cluster: clusterName, linknumber, network: cidr, priority: optional(integer(0, 255)) }),
  planSetExpected: object({ cluster: clusterName, votes: integer(1, 1024), confirm: string({ max: 64 }) }),
  runPlan: object({ planId: string({ max: 128 }) }),
  resumePlan: object({ planId: string({ max: 128 }) }),
  rollBackPlan: object({ planId: string({ max: 128 }) }),
  runUnfinished: object({
    kind: literal(
      'cluster.create',
      'cluster.join',
      'cluster.remove',
      'qdevice.setup',
      'qdevice.remove',
      'cluster.link',
    ),
    cluster: clusterName,
    rollback: boolean(),
  }),
  findUnfinished: object({ cluster: clusterName }),
};
