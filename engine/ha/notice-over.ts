/**
 * When an open HA notice is over, judged from the HA status alone — one rule for the persisted
 * notices (engine/api/history.ts) and the window's banner (renderer), so both drop it together.
 * Pure. HA news that is not a condition (a move, a recovery, a migration) never stays open.
 */
import type { HaStatus } from './types';

export interface OpenHaNotice {
  readonly kind: string;
  readonly node?: string | undefined;
  readonly resource?: string | undefined;
}

export function haNoticeOver(
  n: OpenHaNotice,
  status: Pick<HaStatus, 'fencing' | 'nodes' | 'resources' | 'failures'>,
): boolean {
  switch (n.kind) {
    case 'ha-fencing-disabled':
      return status.fencing === true;
    case 'ha-fencing-pending':
      return status.nodes.some((x) => x.name === n.node && !x.unclean) || !status.nodes.some((x) => x.name === n.node);
    case 'ha-resource-failed':
      return !status.failures.some((f) => f.node === n.node);
    case 'ha-service-error':
      return !status.resources.some((r) => r.id === n.resource && (r.engineState ?? r.state) === 'error');
    default:
      return false;
  }
}
