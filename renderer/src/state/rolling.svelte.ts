/**
 * The "Rolling update" dialog's state: plan (each node's what-if gate and the steps), then run,
 * with one progress row per node fed by `onDidUpdateRolling` (the step it is at, its state, the
 * last line of output). A failed run shows why and what to do; running it again resumes.
 */
import type {
  QuorateWindowApi,
  RollingOutcome,
  RollingRestart,
  RollingStepView,
  RollingUpdate,
} from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';

export interface NodeRow {
  readonly node: string;
  /** The step it is at (or the last one done). */
  readonly step: string;
  readonly state: 'pending' | 'running' | 'done' | 'failed';
  readonly done: number;
  readonly total: number;
  readonly line: string | null;
}

export class RollingRun {
  readonly #api: QuorateWindowApi;
  readonly cluster: string;
  command = $state('');
  restart = $state<RollingRestart>('services');
  phase = $state<'idle' | 'planning' | 'review' | 'running' | 'done' | 'failed'>('idle');
  plan = $state.raw<RollingOutcome | null>(null);
  outcome = $state.raw<RollingOutcome | null>(null);
  error = $state.raw<QuorateError | null>(null);
  steps = $state.raw<readonly RollingStepView[]>([]);
  lines = $state.raw<Readonly<Record<string, string>>>({});

  constructor(cluster: string, api: QuorateWindowApi = defaultApi()) {
    this.cluster = cluster;
    this.#api = api;
  }

  /** One row per node, in the plan's order. */
  get rows(): NodeRow[] {
    const nodes = [...new Set(this.steps.map((s) => s.node))];
    return nodes.map((node) => {
      const mine = this.steps.filter((s) => s.node === node);
      const current =
        mine.find((s) => s.state === 'running' || s.state === 'failed') ??
        mine.find((s) => s.state === 'pending') ??
        mine[mine.length - 1]!;
      const done = mine.filter((s) => s.state === 'done').length;
      const state =
        current.state === 'failed'
          ? 'failed'
          : done === mine.length
            ? 'done'
            : mine.some((s) => s.state !== 'pending')
              ? 'running'
              : 'pending';
      return { node, step: current.title, state, done, total: mine.length, line: this.lines[node] ?? null };
    });
  }

  /** Feed an `onDidUpdateRolling` event. */
  update(u: RollingUpdate): void {
    if (u.cluster !== this.cluster) {
      return;
    }
    if (u.line) {
      this.lines = { ...this.lines, [u.node]: u.line };
    }
    if (this.steps.some((s) => s.id === u.stepId)) {
      this.steps = this.steps.map((s) => (s.id === u.stepId ? { ...s, state: u.state } : s));
    }
  }

  async makePlan(): Promise<void> {
    this.phase = 'planning';
    const r = await this.#api.rolling({ cluster: this.cluster, run: this.command, restart: this.restart, plan: true });
    this.error = r.ok ? null : r.error;
    this.plan = r.ok ? r.value : null;
    this.steps = r.ok ? r.value.steps : [];
    this.phase = r.ok ? 'review' : 'idle';
  }

  async run(): Promise<void> {
    this.phase = 'running';
    this.error = null;
    const r = await this.#api.rolling({ cluster: this.cluster, run: this.command, restart: this.restart });
    if (!r.ok) {
      this.error = r.error;
      this.phase = 'failed';
      return;
    }
    this.outcome = r.value;
    this.steps = r.value.steps;
    this.error = r.value.error;
    this.phase = r.value.state === 'done' ? 'done' : 'failed';
  }
}
