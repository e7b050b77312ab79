/**
 * The machines list, their bootstrap progress and logs. Snapshots are `$state.raw` and replaced
 * whole; the engine's events replace the affected machine.
 */
import type { AddMachineParams, BootstrapProgress, Machine, QuorateWindowApi } from '../../../engine/api/contract';
import type { QuorateError, Result } from '../../../engine/result';
import { defaultApi } from './default-api';
import { listen } from './listen';

export interface BootstrapView {
  readonly percent: number;
  readonly phase: BootstrapProgress['phase'];
  readonly log: readonly string[];
  readonly error: QuorateError | null;
}

/** Log lines kept per machine: enough to see what failed, bounded so a chatty apt cannot grow memory. */
const MAX_LOG_LINES = 400;

export class MachinesState {
  readonly #api: QuorateWindowApi;
  #machines = $state.raw<readonly Machine[]>([]);
  #bootstrap = $state.raw<Readonly<Record<string, BootstrapView>>>({});
  loadError = $state.raw<QuorateError | null>(null);
  loaded = $state(false);

  readonly ready = $derived(this.#machines.filter((m) => m.state === 'ready'));
  readonly unclustered = $derived(this.ready.filter((m) => m.cluster === null));

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.#api = api;
  }

  get list(): readonly Machine[] {
    return this.#machines;
  }

  get bootstrap(): Readonly<Record<string, BootstrapView>> {
    return this.#bootstrap;
  }

  /** Listens to machine and bootstrap events until `signal` aborts. */
  listen(signal: AbortSignal): void {
    listen(this.#api, 'onDidChangeMachine', ({ machine, removed }) => this.#replace(machine, removed), signal);
    listen(this.#api, 'onDidBootstrapProgress', (p) => this.#progress(p), signal);
  }

  async load(): Promise<void> {
    const r = await this.#api.listMachines();
    if (r.ok) {
      this.#machines = r.value;
      this.loadError = null;
    } else {
      this.loadError = r.error;
    }
    this.loaded = true;
  }

  byAddress(address: string): Machine | undefined {
    return this.#machines.find((m) => m.address === address);
  }

  /** Adds (or re-adds with new credentials); the result is `untrusted` with the host key to confirm. */
  async add(params: AddMachineParams): Promise<Result<Machine>> {
    const r = await this.#api.addMachine(params);
    if (r.ok) {
      this.#replace(r.value, false);
    }
    return r;
  }

  async trust(address: string, fingerprint: string): Promise<Result<Machine>> {
    const r = await this.#api.trustMachine({ address, fingerprint });
    if (r.ok) {
      this.#replace(r.value, false);
    }
    return r;
  }

  /**
   * Replaces the pinned host key of a machine whose key changed with `fingerprint`, which the user
   * confirmed against the machine's console; `previousFingerprint` is the pinned key the user saw.
   */
  async retrust(address: string, previousFingerprint: string, fingerprint: string): Promise<Result<Machine>> {
    const r = await this.#api.trustMachine({ address, fingerprint, replaceChangedKey: { previousFingerprint } });
    if (r.ok) {
      this.#replace(r.value, false);
    }
    return r;
  }

  async remove(address: string): Promise<Result<null>> {
    const r = await this.#api.removeMachine({ address });
    const m = this.byAddress(address);
    if (r.ok && m) {
      this.#replace(m, true);
    }
    return r;
  }

  /** Bootstraps the given machines; per-machine failures land in `bootstrap[address].error`. */
  async runBootstrap(addresses: readonly string[]): Promise<Result<unknown>> {
    const fresh = { ...this.#bootstrap };
    for (const a of addresses) {
      fresh[a] = { percent: 0, phase: 'connect', log: [], error: null };
    }
    this.#bootstrap = fresh;
    const r = await this.#api.bootstrap({ addresses });
    if (r.ok) {
      const next = { ...this.#bootstrap };
      for (const m of r.value.machines) {
        const cur = next[m.address] ?? { percent: 0, phase: 'connect' as const, log: [], error: null };
        next[m.address] = m.ok
          ? { ...cur, percent: 100, phase: 'done', error: null }
          : { ...cur, phase: 'failed', error: m.error };
      }
      this.#bootstrap = next;
    } else {
      const next = { ...this.#bootstrap };
      for (const a of addresses) {
        const cur = next[a];
        if (cur && cur.phase !== 'done') {
          next[a] = { ...cur, phase: 'failed', error: r.error };
        }
      }
      this.#bootstrap = next;
    }
    await this.load();
    return r;
  }

  #replace(machine: Machine, removed: boolean): void {
    const rest = this.#machines.filter((m) => m.address !== machine.address);
    if (removed) {
      this.#machines = rest;
      return;
    }
    const i = this.#machines.findIndex((m) => m.address === machine.address);
    this.#machines =
      i < 0 ? [...rest, machine] : this.#machines.map((m) => (m.address === machine.address ? machine : m));
  }

  #progress(p: BootstrapProgress): void {
    const cur = this.#bootstrap[p.address] ?? { percent: 0, phase: p.phase, log: [], error: null };
    const log = p.line === null ? cur.log : [...cur.log, p.line].slice(-MAX_LOG_LINES);
    this.#bootstrap = {
      ...this.#bootstrap,
      [p.address]: { percent: p.percent, phase: p.phase, log, error: p.error ?? cur.error },
    };
  }
}
