/**
 * The dashboard's what-if: nodes (and the QDevice) the user marked down, and the engine's answer
 * for them. Each click asks again; an answer to an older question is dropped.
 */
import type { QuorateWindowApi, WhatIfResult } from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';

export class WhatIf {
  readonly #api: QuorateWindowApi;
  readonly cluster: string;
  down = $state.raw<readonly string[]>([]);
  qdevice = $state(false);
  answer = $state.raw<WhatIfResult | null>(null);
  error = $state.raw<QuorateError | null>(null);
  asking = $state(false);
  #asked = 0;

  readonly active = $derived(this.down.length > 0 || this.qdevice);

  constructor(cluster: string, api: QuorateWindowApi = defaultApi()) {
    this.cluster = cluster;
    this.#api = api;
  }

  /** Marks a node down, or up again, and asks. */
  async toggle(node: string): Promise<void> {
    this.down = this.down.includes(node) ? this.down.filter((n) => n !== node) : [...this.down, node];
    await this.ask();
  }

  async toggleQdevice(): Promise<void> {
    this.qdevice = !this.qdevice;
    await this.ask();
  }

  clear(): void {
    this.#asked++;
    this.down = [];
    this.qdevice = false;
    this.answer = null;
    this.error = null;
    this.asking = false;
  }

  async ask(): Promise<void> {
    const id = ++this.#asked;
    if (!this.active) {
      this.clear();
      return;
    }
    this.asking = true;
    const r = await this.#api.whatIf({
      cluster: this.cluster,
      down: [...this.down],
      ...(this.qdevice ? { qdevice: true } : {}),
    });
    if (id !== this.#asked) {
      return;
    }
    this.asking = false;
    this.answer = r.ok ? r.value : null;
    this.error = r.ok ? null : r.error;
  }
}
