import type {
  HaConsent,
  HaRequirementsView,
  HaResource,
  HaStatusView,
  PveGuest,
  PveMigrateOutcome,
  QuorateWindowApi,
  RequestedState,
} from '../../../engine/api/contract';
import { explainPveHaState } from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';
import { listen } from './listen';

/** One guest as the dashboard shows it: its HA resource (if any) and ha-manager's state in words. */
export interface GuestRow extends PveGuest {
  readonly sid: string;
  readonly haResource: HaResource | null;
  /** ha-manager's own state word (`started`, `fence`, `error`, …), null when not HA-managed. */
  readonly haState: string | null;
  /** What that state means and what to do, in plain words. */
  readonly haWords: string | null;
}

export interface NodeGuests {
  readonly node: string;
  readonly guests: readonly GuestRow[];
}

export interface MigrationView {
  readonly lines: readonly string[];
  readonly outcome: PveMigrateOutcome | null;
  readonly error: QuorateError | null;
}

/** Guests of a Proxmox VE cluster grouped per node, with HA state; add / set / migrate from the dashboard. */
export class GuestsState {
  readonly #api: QuorateWindowApi;
  readonly cluster: string;
  guests = $state.raw<readonly PveGuest[] | null>(null);
  ha = $state.raw<HaStatusView | null>(null);
  error = $state.raw<QuorateError | null>(null);
  /** Not a Proxmox VE cluster: the panel hides itself. */
  notPve = $state(false);
  /** The requirements of the guest being added, and the consents ticked so far. */
  requirements = $state.raw<HaRequirementsView | null>(null);
  consent = $state.raw<readonly HaConsent[]>([]);
  actionError = $state.raw<QuorateError | null>(null);
  busy = $state(false);
  /** `vm:103` → its migration's live log and outcome. */
  migrations = $state.raw<Readonly<Record<string, MigrationView>>>({});

  constructor(cluster: string, api: QuorateWindowApi = defaultApi()) {
    this.cluster = cluster;
    this.#api = api;
  }

  /** Rows per node, in the cluster's node order (nodes without guests left out). */
  get byNode(): NodeGuests[] {
    const rows = (this.guests ?? []).map((g): GuestRow => {
      const sid = `${g.kind}:${g.id}`;
      const r = this.ha?.resources.find((x) => x.id === sid) ?? null;
      const haState = r ? (r.engineState ?? r.state) : null;
      return { ...g, sid, haResource: r, haState, haWords: haState ? explainPveHaState(haState) : null };
    });
    const nodes = [...new Set(rows.map((r) => r.node))].sort();
    return nodes.map((node) => ({ node, guests: rows.filter((r) => r.node === node) }));
  }

  /** Every node a guest could be migrated to (the HA view's nodes, else the nodes guests are on). */
  get nodes(): string[] {
    const ha = this.ha?.nodes.map((n) => n.name) ?? [];
    return ha.length > 0 ? ha : [...new Set((this.guests ?? []).map((g) => g.node))].sort();
  }

  listen(signal: AbortSignal): void {
    listen(
      this.#api,
      'onDidPveMigrateProgress',
      (p) => {
        if (p.cluster !== this.cluster) {
          return;
        }
        const sid = `${p.kind}:${p.id}`;
        const m = this.migrations[sid] ?? { lines: [], outcome: null, error: null };
        this.migrations = { ...this.migrations, [sid]: { ...m, lines: [...m.lines, p.line] } };
      },
      signal,
    );
    listen(
      this.#api,
      'onDidChangeHa',
      ({ cluster, status }) => {
        if (cluster === this.cluster) {
          this.ha = status;
        }
      },
      signal,
    );
  }

  async load(): Promise<void> {
    // Guests first: a cluster that is not Proxmox answers at once, and then costs no HA read.
    const g = await this.#api.pveGuests({ cluster: this.cluster });
    if (!g.ok) {
      this.notPve = g.error.code === 'pve.not-pve';
      this.error = this.notPve ? null : g.error;
      return;
    }
    const h = await this.#api.haStatus({ cluster: this.cluster });
    this.guests = g.value.guests;
    this.ha = h.ok ? h.value : this.ha;
    this.error = null;
  }

  /** Step 1 of "Add to HA": the requirements, checked for this guest, before anything changes. */
  async showRequirements(guest: PveGuest): Promise<void> {
    this.consent = [];
    this.actionError = null;
    const r = await this.#api.haRequirements({ cluster: this.cluster, [guest.kind]: String(guest.id) });
    this.requirements = r.ok ? r.value : null;
    this.actionError = r.ok ? null : r.error;
  }

  toggleConsent(c: HaConsent): void {
    this.consent = this.consent.includes(c) ? this.consent.filter((x) => x !== c) : [...this.consent, c];
  }

  /** Every consent the requirements ask for is ticked. */
  get canAdd(): boolean {
    return this.requirements !== null && this.requirements.consentNeeded.every((c) => this.consent.includes(c));
  }

  /** Step 2: `ha add` with the consents given. */
  async add(): Promise<boolean> {
    const req = this.requirements;
    if (!req?.guest || !this.canAdd) {
      return false;
    }
    const [kind, id] = req.guest.split(':') as ['vm' | 'ct', string];
    return this.#act(() =>
      this.#api.haAdd({
        cluster: this.cluster,
        [kind]: id,
        ...(this.consent.includes('fewVotes') ? { allowFewVotes: true } : {}),
        ...(this.consent.includes('localDisks') ? { allowLocalDisks: true } : {}),
      }),
    ).then((ok) => {
      if (ok) {
        this.requirements = null;
      }
      return ok;
    });
  }

  cancelAdd(): void {
    this.requirements = null;
    this.consent = [];
  }

  async setState(sid: string, state: RequestedState): Promise<boolean> {
    return this.#act(() => this.#api.haSet({ cluster: this.cluster, id: sid, state }));
  }

  async remove(sid: string): Promise<boolean> {
    return this.#act(() => this.#api.haRemove({ cluster: this.cluster, id: sid }));
  }

  /** Runs the migration; its task log fills `migrations[sid].lines` as it comes. */
  async migrate(guest: PveGuest, to: string, opts: { online?: boolean; plan?: boolean } = {}): Promise<void> {
    const sid = `${guest.kind}:${guest.id}`;
    this.migrations = { ...this.migrations, [sid]: { lines: [], outcome: null, error: null } };
    const r = await this.#api.pveMigrate({
      cluster: this.cluster,
      kind: guest.kind,
      id: guest.id,
      to,
      ...(opts.online ? { online: true } : {}),
      ...(opts.plan ? { plan: true } : {}),
    });
    const m = this.migrations[sid] ?? { lines: [], outcome: null, error: null };
    this.migrations = {
      ...this.migrations,
      [sid]: { ...m, outcome: r.ok ? r.value : null, error: r.ok ? null : r.error },
    };
    await this.load();
  }

  async #act(call: () => Promise<{ ok: boolean; error?: QuorateError }>): Promise<boolean> {
    this.busy = true;
    this.actionError = null;
    try {
      const r = await call();
      if (!r.ok) {
        this.actionError = r.error ?? null;
        return false;
      }
      await this.load();
      return true;
    } finally {
      this.busy = false;
    }
  }
}
