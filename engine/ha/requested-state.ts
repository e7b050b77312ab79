/**
 * A resource's requested state, as ha-manager names it (`ha-manager set SID --state started|stopped|
 * disabled|ignored`, pve-docs ha-manager.adoc "Service States"), and what each means on Pacemaker,
 * where the same wish is a pair of meta attributes. Pure.
 */
import type { Result } from '../result';
import { err, ok } from '../result';

export const REQUESTED_STATES = ['started', 'stopped', 'disabled', 'ignored'] as const;
export type RequestedState = (typeof REQUESTED_STATES)[number];

/** In plain words, for the CLI and the window. */
export const REQUESTED_STATE_WORDS: Record<RequestedState, string> = {
  started: 'keep it running: the HA stack starts it and restarts or recovers it when it fails',
  stopped: 'keep it stopped, still HA-managed (it is recovered in the stopped state)',
  disabled: 'stop it and leave it alone; also the way out of the error state',
  ignored: 'act as if HA did not manage it, without removing it (you control it by hand)',
};

/** Pacemaker's meta attributes for a requested state (`target-role`, `is-managed`). */
export interface PacemakerMeta {
  /** Unset: left as it is (an ignored resource keeps whatever role it had). */
  readonly targetRole?: 'Started' | 'Stopped';
  readonly isManaged: boolean;
}

/**
 * started → target-role=Started; stopped → Stopped (what `pcs resource enable|disable` set);
 * ignored → is-managed=false (`pcs resource unmanage`: Pacemaker keeps it configured, touches nothing).
 * `disabled` has no Pacemaker meaning apart from stopped (failures are cleared with a cleanup), so
 * it is refused rather than silently equated.
 */
export function pacemakerMetaFor(state: RequestedState): Result<PacemakerMeta> {
  switch (state) {
    case 'started':
      return ok({ targetRole: 'Started', isManaged: true });
    case 'stopped':
      return ok({ targetRole: 'Stopped', isManaged: true });
    case 'ignored':
      return ok({ isManaged: false });
    case 'disabled':
      return err(
        'ha.state-not-supported',
        'Pacemaker has no "disabled" state apart from stopped: ha-manager uses it to stop a service and clear its error state.',
        'Use --state stopped, then clear the failures with crm_resource --cleanup --resource ID on a node.',
      );
  }
}

/**
 * ha-manager leaves a service in `error` alone until it is disabled (pve-docs "Error Recovery": the
 * only way out is `--state disabled`, then fix the cause, then request started). A request for
 * started or stopped would be written and silently ignored by the CRM, so it is refused here with
 * the steps instead. null: the request may go ahead.
 */
export function refuseInErrorState(engineState: string | undefined, state: RequestedState, id: string) {
  if (engineState !== 'error' || state === 'disabled' || state === 'ignored') {
    return null;
  }
  return err(
    'ha.in-error',
    `${id} is in the error state: ha-manager does not act on it (a request for ${state} would be ignored) until it is disabled.`,
    `Disable it first (quorate ha set CLUSTER ${id} --state disabled, or "disabled" in the window), fix the cause in its task log, then set it to ${state}.`,
  );
}
