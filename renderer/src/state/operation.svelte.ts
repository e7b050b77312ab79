/**
 * One operation from plan to outcome: ask for a plan, show it, run exactly that plan, follow its
 * steps through `onDidUpdateStep`. Used by the create wizard and by the Join/Remove/QDevice/Expected dialogs.
 */
import type {
  OperationPlan,
  QuorateWindowApi,
  RunOutcome,
  StepState,
  UnfinishedOperation,
} from '../../../engine/api/contract';
import type { QuorateError, Result } from '../../../engine/result';
import { defaultApi } from './default-api';
import { listen } from './listen';

export type OperationPhase = 'idle' | 'planning' | 'review' | 'running' | 'done' | 'failed';

export interface StepView {
  readonly id: string;
  readonly machine: string;
  readonly title: string;
  readonly state: StepState;
  readonly log: readonly string[];
  readonly error: QuorateError | null;
}

export class OperationRun {
  readonly #api: QuorateWindowApi;
  /** The id step updates carry: the reviewed plan's, or an unfinished journal's (`continueUnfinished`). */
  #planId: string | null = null;
  phase = $state<OperationPhase>('idle');
  plan = $state.raw<OperationPlan | null>(null);
  error = $state.raw<QuorateError | null>(null);
  outcome = $state.raw<RunOutcome | null>(null);
  steps = $state.raw<readonly StepView[]>([]);

  /** The failed run left its journal unfinished: the dialog offers Resume and Roll back. */
  readonly unfinished = $derived(this.phase === 'failed' && this.outcome?.unfinished === true);
  /** The step that failed, for scrolling it into view. */
  readonly failedStep = $derived(this.steps.find((s) => s.state === 'failed')?.id ?? null);

  readonly finished = $derived(this.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length);
  readonly percent = $derived(this.steps.length === 0 ? 0 : Math.round((this.finished / this.steps.length) * 100));

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.#api = api;
  }

  /** Asks the engine for a plan with `request`; on success the phase becomes `review`. */
  async makePlan(request: (api: QuorateWindowApi) => Promise<Result<OperationPlan>>): Promise<boolean> {
    this.phase = 'planning';
    this.error = null;
    this.outcome = null;
    const r = await request(this.#api);
    if (!r.ok) {
      this.error = r.error;
      this.phase = 'idle';
      return false;
    }
    this.plan = r.value;
    this.#planId = r.value.id;
    this.steps = r.value.steps.map((s) => ({ ...s, state: 'pending', log: [], error: null }));
    this.phase = 'review';
    return true;
  }

  /** Runs the reviewed plan; resolves when the engine reports the outcome. */
  async run(): Promise<boolean> {
    if (!this.plan || this.phase !== 'review') {
      return false;
    }
    return this.#follow((api, planId) => api.runPlan({ planId }));
  }

  /** Continues a failed run whose journal is unfinished (the steps already done are skipped). */
  async resume(): Promise<boolean> {
    if (!this.unfinished) {
      return false;
    }
    return this.#follow((api, planId) => api.resumePlan({ planId }));
  }

  /** Undoes the finished steps of a failed run whose journal is unfinished. */
  async rollBack(): Promise<boolean> {
    if (!this.unfinished) {
      return false;
    }
    return this.#follow((api, planId) => api.rollBackPlan({ planId }));
  }

  /**
   * Continues (or, with `rollback`, undoes) an operation journal that another process or an earlier
   * Quorate left unfinished; its steps start as the journal has them.
   */
  async continueUnfinished(u: UnfinishedOperation, rollback: boolean): Promise<boolean> {
    if (this.phase === 'running') {
      return false;
    }
    this.plan = null;
    this.outcome = null;
    this.#planId = u.planId;
    this.steps = u.steps.map((s) => ({
      id: s.id,
      machine: s.machine,
      title: s.title,
      state: s.state,
      log: [],
      error: null,
    }));
    return this.#follow((api) => api.runUnfinished({ kind: u.kind, cluster: u.cluster, rollback }));
  }

  async #follow(call: (api: QuorateWindowApi, planId: string) => Promise<Result<RunOutcome>>): Promise<boolean> {
    const planId = this.#planId;
    if (!planId) {
      return false;
    }
    this.phase = 'running';
    this.error = null;
    // Steps keep what they showed; a resumed or rolled-back step says so when the engine reports it.
    this.steps = this.steps.map((s) => ({ ...s, error: null }));
    const stop = new AbortController();
    listen(
      this.#api,
      'onDidUpdateStep',
      (u) => {
        if (u.planId !== planId) {
          return;
        }
        this.steps = this.steps.map((s) =>
          s.id !== u.stepId
            ? s
            : {
                ...s,
                state: u.state,
                log: u.line === null ? s.log : [...s.log, u.line].slice(-200),
                error: u.error ?? s.error,
              },
        );
      },
      stop.signal,
    );
    try {
      const r = await call(this.#api, planId);
      if (!r.ok) {
        this.error = r.error;
        this.outcome = null;
        this.phase = 'failed';
        return false;
      }
      this.outcome = r.value;
      const final = new Map(r.value.steps.map((s) => [s.id, s.state]));
      this.steps = this.steps.map((s) => ({ ...s, state: final.get(s.id) ?? s.state }));
      this.error = r.value.error;
      this.phase = r.value.ok ? 'done' : 'failed';
      return r.value.ok;
    } finally {
      stop.abort();
    }
  }

  reset(): void {
    this.phase = 'idle';
    this.plan = null;
    this.#planId = null;
    this.error = null;
    this.outcome = null;
    this.steps = [];
  }
}
