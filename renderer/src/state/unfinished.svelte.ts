/**
 * The dashboard's callout for an operation journal left unfinished on a cluster by any process (a
 * `quorate join` whose terminal died, a Quorate killed mid-operation): what `findUnfinished` reports,
 * and Resume / Roll back through `runUnfinished`, followed as an `OperationRun`. After a run the
 * journal is asked for again, so the callout goes once the operation is finished or undone.
 */
import type { QuorateWindowApi, UnfinishedOperation } from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { defaultApi } from './default-api';
import { OperationRun } from './operation.svelte';

/** `join 198.18.0.14` → `join of 198.18.0.14`; a request of one word stays as it is. */
export function requestWords(request: string): string {
  const space = request.indexOf(' ');
  return space < 0 ? request : `${request.slice(0, space)} of ${request.slice(space + 1)}`;
}

/** The callout's sentence: `An operation on this cluster was interrupted: join of node4, started 14:02, 3 of 7 steps done`. */
export function unfinishedText(u: UnfinishedOperation, time: (iso: string) => string = shortTime): string {
  const what = `${requestWords(u.request)}, started ${time(u.startedAt)}, ${u.done} of ${u.steps.length} steps done`;
  return u.runningIn
    ? `An operation is still running on this cluster: ${what} (pid ${u.runningIn.pid} on ${u.runningIn.host})`
    : `An operation on this cluster was interrupted: ${what}`;
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

export class UnfinishedNotice {
  readonly cluster: string;
  readonly #api: QuorateWindowApi;
  found = $state.raw<UnfinishedOperation | null>(null);
  error = $state.raw<QuorateError | null>(null);
  /** Roll back was pressed once: the callout asks to confirm before anything is undone. */
  confirming = $state(false);
  /** The Resume or Roll back run; null until one is started. */
  run = $state.raw<OperationRun | null>(null);
  #asked = 0;

  /** Resume and Roll back are offered only when no process holds the cluster. */
  readonly canAct = $derived(this.found !== null && this.found.runningIn === null && this.run?.phase !== 'running');

  constructor(cluster: string, api: QuorateWindowApi = defaultApi()) {
    this.cluster = cluster;
    this.#api = api;
  }

  /** Asks the engine again; an answer to an older question is dropped. */
  async load(): Promise<void> {
    const asked = ++this.#asked;
    const r = await this.#api.findUnfinished({ cluster: this.cluster });
    if (asked !== this.#asked) {
      return;
    }
    if (r.ok) {
      this.found = r.value;
      this.error = null;
      if (!r.value) {
        this.confirming = false;
      }
    } else {
      this.error = r.error;
    }
  }

  resume(): Promise<boolean> {
    return this.#continue(false);
  }

  /** The first call asks for confirmation; the second (with `confirming` set) rolls back. */
  rollBack(): Promise<boolean> {
    if (!this.confirming) {
      this.confirming = true;
      return Promise.resolve(false);
    }
    return this.#continue(true);
  }

  cancelRollBack(): void {
    this.confirming = false;
  }

  /** Closes the progress of a finished run. */
  dismissRun(): void {
    if (this.run?.phase !== 'running') {
      this.run = null;
    }
  }

  async #continue(rollback: boolean): Promise<boolean> {
    const u = this.found;
    if (!u || !this.canAct) {
      return false;
    }
    this.confirming = false;
    const run = new OperationRun(this.#api);
    this.run = run;
    try {
      return await run.continueUnfinished(u, rollback);
    } finally {
      await this.load();
    }
  }
}
