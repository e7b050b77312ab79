/**
 * The create-cluster wizard: choose machines and link networks → pre-flight → plan review → run → done.
 * Steps only move forward when what they need is there; going back keeps the choices.
 */
import type {
  CandidateNetwork,
  LinkNetwork,
  LinkNumberValue,
  PreflightReport,
  QuorateWindowApi,
} from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';
import { OperationRun } from './operation.svelte';

export type WizardStep = 'choose' | 'preflight' | 'plan' | 'run' | 'done';
export const WIZARD_STEPS: readonly { id: WizardStep; label: string }[] = [
  { id: 'choose', label: 'Machines & links' },
  { id: 'preflight', label: 'Pre-flight' },
  { id: 'plan', label: 'Review plan' },
  { id: 'run', label: 'Create' },
  { id: 'done', label: 'Done' },
];

const CLUSTER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,14}$/;

export class CreateWizard {
  readonly #api: QuorateWindowApi;
  readonly operation: OperationRun;
  step = $state<WizardStep>('choose');
  name = $state('');
  /** Selected machine addresses, in selection order (the first founds the cluster). */
  selected = $state.raw<readonly string[]>([]);
  /** Network (CIDR) chosen per link number, in link order. */
  links = $state.raw<readonly LinkNetwork[]>([]);
  networks = $state.raw<readonly CandidateNetwork[]>([]);
  networksError = $state.raw<QuorateError | null>(null);
  /** The selected machines' networks are being read: nothing can be said about them yet. */
  networksLoading = $state(false);
  #networksRequest = 0;
  report = $state.raw<PreflightReport | null>(null);
  preflightError = $state.raw<QuorateError | null>(null);
  busy = $state(false);

  readonly nameProblem = $derived(
    this.name.length === 0
      ? 'Give the cluster a name.'
      : CLUSTER_NAME.test(this.name)
        ? null
        : 'A letter first, then letters, digits or "-"; at most 15 characters.',
  );
  /** Networks every selected machine has an address in. */
  readonly usableNetworks = $derived(this.networks.filter((n) => this.selected.every((a) => a in n.addresses)));
  readonly canPreflight = $derived(
    this.nameProblem === null && this.selected.length >= 2 && this.links.length >= 1 && !this.networksLoading,
  );
  /** Facts are in and the selected machines have no network in common (not said while loading). */
  readonly noSharedNetwork = $derived(
    !this.networksLoading &&
      this.networksError === null &&
      this.selected.length > 0 &&
      this.usableNetworks.length === 0,
  );
  readonly failures = $derived(this.report?.checks.filter((c) => c.status === 'fail') ?? []);

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.#api = api;
    this.operation = new OperationRun(api);
  }

  toggleMachine(address: string): void {
    this.selected = this.selected.includes(address)
      ? this.selected.filter((a) => a !== address)
      : [...this.selected, address];
    this.report = null;
    void this.loadNetworks();
  }

  async loadNetworks(): Promise<void> {
    const request = ++this.#networksRequest;
    if (this.selected.length === 0) {
      this.networks = [];
      this.networksLoading = false;
      return;
    }
    this.networksLoading = true;
    const r = await this.#api.listNetworks({ addresses: this.selected });
    if (request !== this.#networksRequest) {
      // The selection changed meanwhile: a newer request answers for it.
      return;
    }
    this.networksLoading = false;
    if (r.ok) {
      this.networks = r.value;
      this.networksError = null;
      // Keep only links whose network still fits; offer the first usable network as link 0.
      const usable = new Set(this.usableNetworks.map((n) => n.network));
      const kept = this.links.filter((l) => usable.has(l.network));
      const first = this.usableNetworks[0];
      this.links = kept.length > 0 ? kept : first ? [{ linknumber: 0, network: first.network }] : [];
    } else {
      this.networksError = r.error;
    }
  }

  /** Sets link `linknumber` to `network`, or removes it when `network` is empty. */
  setLink(linknumber: LinkNumberValue, network: string): void {
    const rest = this.links.filter((l) => l.linknumber !== linknumber);
    this.links = (network ? [...rest, { linknumber, network }] : rest).sort((a, b) => a.linknumber - b.linknumber);
    this.report = null;
  }

  /** The lowest free link number, or null when all 8 are used. */
  nextLinkNumber(): LinkNumberValue | null {
    for (let n = 0; n <= 7; n++) {
      if (!this.links.some((l) => l.linknumber === n)) {
        return n as LinkNumberValue;
      }
    }
    return null;
  }

  async runPreflight(): Promise<void> {
    this.step = 'preflight';
    this.busy = true;
    this.preflightError = null;
    const r = await this.#api.runPreflight({ addresses: this.selected, links: this.links, mode: 'create' });
    this.busy = false;
    if (r.ok) {
      this.report = r.value;
    } else {
      this.preflightError = r.error;
    }
  }

  async makePlan(): Promise<void> {
    this.busy = true;
    const ok = await this.operation.makePlan((api) =>
      api.planCreateCluster({
        name: this.name,
        nodes: this.selected.map((address) => ({ address })),
        links: this.links,
      }),
    );
    this.busy = false;
    if (ok) {
      this.step = 'plan';
    }
  }

  async run(): Promise<void> {
    this.step = 'run';
    const ok = await this.operation.run();
    if (ok) {
      this.step = 'done';
    }
  }

  back(): void {
    if (this.step === 'preflight') {
      this.step = 'choose';
    } else if (this.step === 'plan') {
      this.operation.reset();
      this.step = 'preflight';
    }
  }

  restart(): void {
    this.operation.reset();
    this.report = null;
    this.name = '';
    this.selected = [];
    this.links = [];
    this.step = 'choose';
  }
}
