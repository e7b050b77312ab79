/**
 * The contract: Proxmox VE guests and their migration (issue 14), on `pve` clusters. HA for those
 * guests goes through the HA members (contract/ha.ts) with `vm` / `ct` ids.
 */
import type { Result } from '../../result';
import type { MigrateCheck } from '../../ha/pve-migrate-check';
import type { MigrationEnd } from '../../ha/pve-notices';
import type { MethodTable } from './table';
import type { ClusterRef } from './shared';
import { clusterName, nodeName } from './shared';
import { boolean, integer, literal, object, optional } from '../validators';

export type { MigrateCheck } from '../../ha/pve-migrate-check';

export interface PveGuest {
  readonly id: number;
  readonly kind: 'vm' | 'ct';
  readonly name: string;
  readonly node: string;
  /** `running`, `stopped`, … as Proxmox reports it; `unknown` when its node does not answer. */
  readonly status: string;
  /** Managed by ha-manager. */
  readonly ha: boolean;
}

export interface PveMigrateParams {
  readonly cluster: string;
  readonly kind: 'vm' | 'ct';
  readonly id: number;
  readonly to: string;
  readonly online?: boolean;
  readonly withLocalDisks?: boolean;
  /** Only run the pre-checks; change nothing. */
  readonly plan?: boolean;
}

/** The migration's end as the notices read it (engine/ha/pve-notices.ts), plus what the front doors show. */
export interface PveMigrateOutcome extends MigrationEnd {
  readonly checks: readonly MigrateCheck[];
  /** The migration's task log lines (also streamed as they come: `onDidPveMigrateProgress`). */
  readonly log: readonly string[];
  readonly message: string;
}

/** Payload of `onDidPveMigrateProgress`: one line of a running migration's task log, as it comes. */
export interface PveMigrateProgress {
  readonly cluster: string;
  readonly kind: 'vm' | 'ct';
  readonly id: number;
  /** The node the line came from (the source, where qm / pct / ha-manager runs). */
  readonly node: string;
  readonly line: string;
  readonly at: number;
}

export interface PveEvents {
  onDidPveMigrateProgress: PveMigrateProgress;
}

export const pveEvents = ['onDidPveMigrateProgress'] as const;

export interface PveApi {
  /** Every VM and container of the cluster, with node, status and whether HA manages it. */
  pveGuests(params: ClusterRef): Promise<Result<{ readonly guests: readonly PveGuest[] }>>;
  /**
   * Pre-checks (Proxmox's own answer and Quorate's), then the migration unless `plan`, its task log
   * streamed as `onDidPveMigrateProgress`; errors: `pve.unknown-guest`, `pve.not-pve`.
   */
  pveMigrate(params: PveMigrateParams): Promise<Result<PveMigrateOutcome>>;
}

export const pveMethods: MethodTable<PveApi> = {
  pveGuests: object({ cluster: clusterName }),
  pveMigrate: object({
    cluster: clusterName,
    kind: literal('vm', 'ct'),
    id: integer(100, 999_999_999),
    to: nodeName,
    online: optional(boolean()),
    withLocalDisks: optional(boolean()),
    plan: optional(boolean()),
  }),
};
