/**
 * Which push event a notice is (engine/agent/alert-format.ts kinds), or null when it is not pushed.
 * Pure. The quorum, node and QDevice notices map one to one (a node cut off, `node-lost`, is "left"
 * to a pager). HA: a Proxmox guest recovered elsewhere and a Pacemaker resource moved off a lost
 * node are both `failover` (Pacemaker's moved notice is a warning only for that cause: a standby
 * or an explicit move is info and not pushed); a Proxmox service in `error` and a failed Pacemaker
 * action are `ha-error`. Fencing switched off is a setting the banner shows, not a push.
 */
import type { AlertEventKind } from '../agent/alert-format';
import { AGENT_ALERT_KINDS } from '../agent/alert-format';

export interface NoticeLike {
  readonly kind: string;
  readonly severity: 'critical' | 'warning' | 'info';
}

const DIRECT: Readonly<Record<string, AlertEventKind>> = {
  'quorum-lost': 'quorum-lost',
  'quorum-regained': 'quorum-regained',
  'node-left': 'node-left',
  'node-lost': 'node-left',
  'node-joined': 'node-joined',
  'qdevice-unreachable': 'qdevice-unreachable',
  'qdevice-reachable': 'qdevice-reachable',
  'ha-recovered': 'failover',
  'ha-service-error': 'ha-error',
  'ha-resource-failed': 'ha-error',
  'ha-fencing-pending': 'fencing-pending',
  'migration-finished': 'migration-finished',
  'migration-failed': 'migration-failed',
};

export function alertKindOf(n: NoticeLike): AlertEventKind | null {
  if (n.kind === 'ha-resource-moved') {
    return n.severity === 'warning' ? 'failover' : null;
  }
  return DIRECT[n.kind] ?? null;
}

/**
 * Whether the node agents send this kind themselves: then a channel marked "from the agents" is
 * theirs and the desktop leaves it alone (exactly one alert per event). HA and migration news only
 * a desktop sees, so it sends those to every channel that lists them.
 */
export function agentsSend(kind: AlertEventKind): boolean {
  return AGENT_ALERT_KINDS.includes(kind);
}
