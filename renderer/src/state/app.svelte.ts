/** Everything the window shares, created once the API is connected. */
import type { QuorateWindowApi } from '../../../engine/api/contract';
import { ClustersState } from './clusters.svelte';
import { defaultApi } from './default-api';
import { MachinesState } from './machines.svelte';
import { Router } from './router.svelte';
import { Theme } from './theme.svelte';
import { WebNotifier } from './web-notify.svelte';

export class AppState {
  readonly api: QuorateWindowApi;
  readonly machines: MachinesState;
  readonly clusters: ClustersState;
  readonly router = new Router();
  readonly theme = new Theme();
  /** Web Notifications for the browser tab (Electron: native ones from main). */
  readonly webNotify: WebNotifier;
  /** Set when the engine connection closed (browser tab). */
  connectionLost = $state(false);

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.api = api;
    this.machines = new MachinesState(api);
    this.clusters = new ClustersState(api);
    this.webNotify = new WebNotifier(api);
  }

  /** Subscribes to everything and loads the first snapshots. */
  async start(signal: AbortSignal): Promise<void> {
    this.router.listen(signal);
    this.machines.listen(signal);
    this.clusters.listen(signal);
    this.webNotify.listen(signal, (cluster) => this.router.go('dashboard', cluster));
    await Promise.all([this.machines.load(), this.clusters.load()]);
  }
}
