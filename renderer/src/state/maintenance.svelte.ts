/**
 * Putting one node in maintenance from the dashboard: plan first (the what-if gate and whether the
 * typed confirmation is needed), then run with the cluster name typed when it is.
 */
import type { MaintenanceOutcome, QuorateWindowApi } from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';

export class MaintenanceToggle {
  readonly #api: QuorateWindowApi;
  readonly cluster: string;
  readonly node: string;
  readonly enable: boolean;
  plan = $state.raw<MaintenanceOutcome | null>(null);
  outcome = $state.raw<MaintenanceOutcome | null>(null);
  error = $state.raw<QuorateError | null>(null);
  busy = $state(false);
  typed = $state('');

  constructor(cluster: string, node: string, enable: boolean, api: QuorateWindowApi = defaultApi()) {
    this.cluster = cluster;
    this.node = node;
    this.enable = enable;
    this.#api = api;
  }

  /** The plan is in and, when it needs it, the cluster name is typed exactly. */
  get canRun(): boolean {
    return this.plan !== null && !this.busy && (!this.plan.needsConfirm || this.typed === this.cluster);
  }

  async makePlan(): Promise<void> {
    this.busy = true;
    const r = await this.#api.setMaintenance({
      cluster: this.cluster,
      node: this.node,
      enable: this.enable,
      plan: true,
    });
    this.busy = false;
    this.plan = r.ok ? r.value : null;
    this.error = r.ok ? null : r.error;
  }

  async run(): Promise<void> {
    if (!this.canRun) {
      return;
    }
    this.busy = true;
    const r = await this.#api.setMaintenance({
      cluster: this.cluster,
      node: this.node,
      enable: this.enable,
      ...(this.plan?.needsConfirm ? { confirm: this.typed } : {}),
    });
    this.busy = false;
    this.outcome = r.ok ? r.value : null;
    this.error = r.ok ? null : r.error;
  }
}
