/**
 * Operations are plans: data shown before anything runs (`--plan`), executed step by step, journaled.
 * Every action is idempotent — running a step twice leaves the machine as running it once — which is
 * what makes resuming after a kill safe.
 */
import type { QuorumSummary } from '../model';

export type ServiceName = 'corosync' | 'corosync-qdevice' | 'corosync-qnetd';

export type StepAction =
  /** Run a shell command as root. Skipped when `doneIf` exits 0. */
  | { readonly kind: 'run'; readonly command: string; readonly doneIf?: string; readonly timeoutMs?: number }
  /** Write a file atomically with `mode`; skipped when the content is already there. */
  | { readonly kind: 'write-file'; readonly path: string; readonly content: string; readonly mode: number }
  /** Copy a file from another machine (binary safe); skipped when identical. */
  | {
      readonly kind: 'copy-file';
      readonly from: string;
      readonly fromPath: string;
      readonly path: string;
      readonly mode: number;
    }
  /**
   * The commit of a corosync.conf change on one node: upload beside it, test with `corosync -t`,
   * back the old file up as `corosync.conf.bak.<old config_version>`, rename over. Skipped when identical.
   */
  | {
      readonly kind: 'install-conf';
      readonly content: string;
      readonly configVersion: number;
      /**
       * Compare-and-swap: the node's current file must be at this config_version (the one the plan
       * started from), else nothing is written there. Absent for a node joining or founding.
       */
      readonly from?: number;
    }
  /** Put back `corosync.conf.bak.<version>` (or remove the file when `version` is null: there was none). */
  | { readonly kind: 'restore-conf'; readonly version: number | null }
  | { readonly kind: 'start-service'; readonly service: ServiceName }
  | { readonly kind: 'stop-service'; readonly service: ServiceName }
  /** `corosync-cfgtool -R`: every node re-reads corosync.conf. */
  | { readonly kind: 'reload-corosync' }
  /** Poll `corosync-quorumtool -s` until it shows `members` nodes and the wanted quorate state. */
  | {
      readonly kind: 'wait-quorum';
      readonly members: number;
      readonly quorate: boolean;
      readonly qdeviceVote?: boolean;
      readonly timeoutMs: number;
    };

/** What a step does to a file, for the plan view: a new file, one changed in place, or one moved away. */
export type FileAction = 'create' | 'modify' | 'delete';

export interface Step {
  /** Unique in the plan, stable across re-planning: `install-conf@node2`. */
  readonly id: string;
  /** The machine (as added to Quorate) the step runs on. */
  readonly machine: string;
  readonly title: string;
  readonly action: StepAction;
  /** How to undo it when the operation is rolled back; absent = nothing to undo (or verify-only). */
  readonly rollback?: StepAction;
  /**
   * When this step fails, the whole operation is rolled back at once instead of waiting for the user
   * (a step inside a window where the cluster is less safe than before, e.g. the QDevice's vote missing).
   */
  readonly undoOnFailure?: boolean;
  /** Files a `run` step creates or removes (other actions name their file themselves). */
  readonly files?: readonly { readonly path: string; readonly action: FileAction }[];
  /**
   * Steps next to each other in the plan with the same `batch` run at the same time (the same action
   * on several machines, none needing what another does); the step after them starts once all of
   * them finished. Absent: the step runs alone.
   */
  readonly batch?: string;
}

export interface Plan {
  /** `create`, `join`, `remove`, `link`, `qdevice-setup`, `qdevice-remove`, `expected`. */
  readonly op: string;
  readonly cluster: string;
  readonly provider: 'corosync' | 'pve';
  readonly steps: readonly Step[];
  /** Files each machine will have changed, for the plan view. */
  readonly files: Readonly<Record<string, readonly string[]>>;
  /** Per machine and path: created, modified or deleted (moved aside). */
  readonly fileActions?: Readonly<Record<string, Readonly<Record<string, FileAction>>>>;
  readonly before: QuorumSummary | null;
  readonly after: QuorumSummary;
  readonly warnings: readonly string[];
  /** Node name → machine after the operation (what the registry remembers once it is done). */
  readonly machines: Readonly<Record<string, string>>;
  /** The request that made the plan (`join 198.18.0.4`): a different request never resumes it. */
  readonly request?: string;
  /** The plan takes the QDevice away for good (the registry forgets the qnetd host when it is done). */
  readonly dropsQdevice?: boolean;
}

/** Progress given to every step: time, cancellation and output are values (Playwright's Progress). */
export interface StepProgress {
  /** Epoch ms after which the step must give up. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  log(line: string): void;
  now(): number;
}

/** Collect the files a plan touches per machine from its steps. */
export function filesOf(steps: readonly Step[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(fileActionsOf(steps)).map(([m, files]) => [m, Object.keys(files)]));
}

/**
 * What the plan does to each file, per machine, from its steps: a written or copied file is new
 * (authkeys, certificates), an installed corosync.conf replaces one when the step compares against
 * a config_version (else it is new), and a step's own `files` say the rest. The first step that
 * touches a path decides, except that a later delete wins.
 */
export function fileActionsOf(steps: readonly Step[]): Record<string, Record<string, FileAction>> {
  const out: Record<string, Record<string, FileAction>> = {};
  const add = (m: string, p: string, action: FileAction): void => {
    const files = (out[m] ??= {});
    if (files[p] === undefined || action === 'delete') {
      files[p] = action;
    }
  };
  for (const s of steps) {
    const a = s.action;
    if (a.kind === 'write-file' || a.kind === 'copy-file') {
      add(s.machine, a.path, 'create');
    }
    if (a.kind === 'install-conf') {
      add(s.machine, '/etc/corosync/corosync.conf', a.from !== undefined ? 'modify' : 'create');
    }
    for (const f of s.files ?? []) {
      add(s.machine, f.path, f.action);
    }
  }
  return out;
}
