import type { HaStatusView, QuorateWindowApi } from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';
import { listen } from './listen';

/** HA status per cluster, from `haStatus` and then live from `onDidChangeHa` (whole snapshots). */
export class HaState {
  readonly #api: QuorateWindowApi;
  statuses = $state.raw<Readonly<Record<string, HaStatusView>>>({});
  errors = $state.raw<Readonly<Record<string, QuorateError>>>({});

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.#api = api;
  }

  listen(signal: AbortSignal): void {
    listen(
      this.#api,
      'onDidChangeHa',
      ({ cluster, status }) => {
        this.statuses = { ...this.statuses, [cluster]: status };
      },
      signal,
    );
  }

  async load(cluster: string): Promise<void> {
    const r = await this.#api.haStatus({ cluster });
    if (r.ok) {
      this.statuses = { ...this.statuses, [cluster]: r.value };
      const { [cluster]: _gone, ...rest } = this.errors;
      this.errors = rest;
    } else {
      this.errors = { ...this.errors, [cluster]: r.error };
    }
  }
}
