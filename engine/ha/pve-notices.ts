/**
 * Proxmox HA and migration news in words (issue 14 §3): title, body, severity and what to do, for
 * the one notice path (desktop notification, banner, timeline, push channels). Pure.
 *
 * Severities: a guest in `error` is down and HA no longer touches it — critical. A recovery is a
 * warning: the guest runs again, but it was restarted, and its node is gone. Pending fencing is a
 * warning on Proxmox (Pacemaker's is critical): it is the normal first minute or two of every
 * recovery, and the node's own "lost" notice is already out. A migration Quorate started reports
 * how it ended: finished is info, failed a warning.
 */
import type { PveHaEvent } from './pve-events';
import { guestOfSid } from './pve-status';

export type PveNoticeKind =
  'ha-recovered' | 'ha-service-error' | 'ha-fencing-pending' | 'migration-finished' | 'migration-failed';

export interface PveNoticeText {
  readonly kind: PveNoticeKind;
  readonly severity: 'critical' | 'warning' | 'info';
  /** recovered: the node it runs on now; error: its node; fencing: the lost node; migration: the target. */
  readonly node?: string;
  /** The HA service id (`vm:100`, `ct:200`); absent for a notice about a node. */
  readonly resource?: string;
  readonly title: string;
  readonly body: string;
  readonly guidance: readonly string[];
}

/** `vm:100` → "VM 100", `ct:200` → "CT 200" (Proxmox's own short names). */
export function guestLabel(sid: string): string {
  const g = guestOfSid(sid);
  return g ? `${g.kind === 'ct' ? 'CT' : 'VM'} ${g.id}` : sid;
}

const list = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;

export function pveHaNoticeText(cluster: string, e: PveHaEvent): PveNoticeText {
  switch (e.kind) {
    case 'recovered': {
      const g = guestLabel(e.sid);
      return {
        kind: 'ha-recovered',
        severity: 'warning',
        node: e.to,
        resource: e.sid,
        title: `${g} recovered on ${e.to} after ${e.from} was lost (${cluster})`,
        body: `${e.from} left the cluster and was fenced; Proxmox's HA manager started ${g} again on ${e.to}. It was restarted there, not live-migrated: whatever ran in it started afresh.`,
        guidance: [
          `Find out why ${e.from} was lost (power, network, corosync link): its HA guests now run elsewhere.`,
          `Check ${g} on ${e.to} (console, the services inside the guest).`,
          `When ${e.from} is back, ${g} stays on ${e.to} unless its HA group prefers ${e.from}; move it back with a migration if you want.`,
        ],
      };
    }
    case 'error': {
      const g = guestLabel(e.sid);
      const on = e.node ? ` on ${e.node}` : '';
      return {
        kind: 'ha-service-error',
        severity: 'critical',
        ...(e.node ? { node: e.node } : {}),
        resource: e.sid,
        title: `${g} is in HA error state${on} (${cluster})`,
        body: `A start, stop or migration of ${g} failed more often than its limits allow (max_restart, max_relocate), so the HA manager no longer starts, stops or moves it: it stays down until someone acts.`,
        guidance: [
          `Read why${on}: the task log in the Proxmox UI, or journalctl -u pve-ha-lrm${e.node ? ` on ${e.node}` : ''}.`,
          `Fix the cause, then clear the error: ha-manager set ${e.sid} --state disabled, then ha-manager set ${e.sid} --state started.`,
        ],
      };
    }
    case 'fencing-pending': {
      const gs = list(e.sids.map(guestLabel));
      const verb = e.sids.length === 1 ? 'waits' : 'wait';
      return {
        kind: 'ha-fencing-pending',
        severity: 'warning',
        node: e.node,
        title: `${e.node} is waiting to be fenced; ${gs} ${verb} for recovery (${cluster})`,
        body: `Proxmox's HA manager lost ${e.node}. Before it starts ${gs} elsewhere, ${e.node} must be fenced: its watchdog resets it once it has been out of the quorate partition for about a minute. Nothing to do while it waits.`,
        guidance: [
          `If this lasts more than a few minutes, check ${e.node}'s watchdog (journalctl -u watchdog-mux) and ha-manager status on a quorate node.`,
          `Do not start ${gs} by hand on another node meanwhile: ${e.node} may still be running ${e.sids.length === 1 ? 'it' : 'them'}.`,
        ],
      };
    }
  }
}

/** What a finished `pveMigrate` run (engine/api/service-pve.ts) says about itself. */
export interface MigrationEnd {
  readonly cluster: string;
  readonly kind: 'vm' | 'ct';
  readonly id: number;
  readonly from: string;
  readonly to: string;
  /**
   * planned: --plan; refused: a pre-check failed (nothing ran); migrated: verified on `to`;
   * failed: the migration did not complete — `node` is where the cluster says the guest is now
   * (read back afterwards; after a half-way failure, the source).
   */
  readonly status: 'planned' | 'refused' | 'migrated' | 'failed';
  /** Through ha-manager migrate|relocate (HA-managed guest) or qm/pct migrate. */
  readonly via: 'ha-manager' | 'qm' | 'pct';
  /** Where the guest is afterwards (read back from the cluster), null when unknown. */
  readonly node: string | null;
  readonly message: string;
}

/**
 * The notice for a migration Quorate ran: finished or failed. A plan or a refusal ran nothing and
 * was answered to whoever asked: no notice.
 */
export function migrationNoticeText(m: MigrationEnd): PveNoticeText | null {
  const g = `${m.kind === 'ct' ? 'CT' : 'VM'} ${m.id}`;
  const sid = `${m.kind}:${m.id}`;
  if (m.status === 'migrated') {
    return {
      kind: 'migration-finished',
      severity: 'info',
      node: m.to,
      resource: sid,
      title: `${g} migrated from ${m.from} to ${m.to} (${m.cluster})`,
      body: `The migration Quorate started (${m.via}) finished: ${g} runs on ${m.to}, as read back from the cluster afterwards.`,
      guidance: [],
    };
  }
  if (m.status === 'failed') {
    const still = m.node ? `${g} is still on ${m.node}` : `where ${g} is now could not be read`;
    return {
      kind: 'migration-failed',
      severity: 'warning',
      node: m.to,
      resource: sid,
      title: `Migration of ${g} to ${m.to} failed: ${still} (${m.cluster})`,
      body: m.message,
      guidance: [
        `Read the migration's task log (Proxmox UI → the node's Tasks, or the log Quorate printed).`,
        `Run the pre-checks again without changing anything: quorate migrate ${m.cluster} --${m.kind} ${m.id} --to ${m.to} --plan`,
      ],
    };
  }
  return null;
}
