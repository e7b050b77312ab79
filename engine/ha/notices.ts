/**
 * HA events in words: the title, body, severity and recovery steps of the notice each one raises
 * (desktop notification, banner, timeline, push channels — the same path as the quorum notices). Pure.
 */
import type { HaEvent } from './events';

export interface HaNoticeText {
  readonly kind: 'ha-resource-moved' | 'ha-resource-failed' | 'ha-fencing-disabled' | 'ha-fencing-pending';
  readonly severity: 'critical' | 'warning' | 'info';
  readonly node?: string;
  readonly title: string;
  readonly body: string;
  readonly guidance: readonly string[];
}

const FENCING_OPTIONS = [
  'On real machines with a hardware watchdog: sbd (apt-get install sbd), with stonith-watchdog-timeout set.',
  'With a managed power switch (PDU) or IPMI/iLO/iDRAC: a fence agent from fence-agents (e.g. fence_ipmilan).',
  'Nodes that are VMs: the hypervisor’s fence agent (fence_virsh, fence_pve, fence_vmware).',
];

export function haNoticeText(cluster: string, e: HaEvent): HaNoticeText {
  switch (e.kind) {
    case 'resource-moved': {
      const why =
        e.cause === 'failover'
          ? `${e.from} left the cluster`
          : e.cause === 'standby'
            ? `${e.from} was put in standby`
            : 'it was moved';
      return {
        kind: 'ha-resource-moved',
        severity: e.cause === 'failover' ? 'warning' : 'info',
        node: e.to,
        title: `${e.resource} moved from ${e.from} to ${e.to} on ${cluster}`,
        body: `Pacemaker restarted ${e.resource} on ${e.to} because ${why}.`,
        guidance:
          e.cause === 'failover'
            ? [
                `Find out why ${e.from} left (power, network, corosync).`,
                `It stays on ${e.to} when ${e.from} returns (resource-stickiness).`,
              ]
            : [],
      };
    }
    case 'resource-failed':
      return {
        kind: 'ha-resource-failed',
        severity: 'warning',
        node: e.node,
        title: `${e.resource}: ${e.task} failed on ${e.node} (${cluster})`,
        body: `Pacemaker reports: ${e.reason || 'failed'}. It recovers the resource where it can (restart, or another node).`,
        guidance: [
          `Look at the resource on ${e.node}: crm_mon -1 --show-detail; journalctl or /var/log/pacemaker/pacemaker.log.`,
          `Once fixed, clear the failure: crm_resource --cleanup --resource ${e.resource}.`,
        ],
      };
    case 'fencing-disabled':
      return {
        kind: 'ha-fencing-disabled',
        severity: 'warning',
        title: `Fencing is disabled on ${cluster}`,
        body: 'stonith-enabled=false: if the nodes lose sight of each other, Pacemaker cannot make sure a lost node really stopped its resources. A split cannot be recovered safely.',
        guidance: FENCING_OPTIONS,
      };
    case 'fencing-pending':
      return {
        kind: 'ha-fencing-pending',
        severity: 'critical',
        node: e.node,
        title: `${e.node} is waiting to be fenced on ${cluster}`,
        body: `Pacemaker lost ${e.node} and will not start its resources elsewhere until the node is fenced (powered off by a fence device).`,
        guidance: [
          `Check the fence device for ${e.node} (stonith_admin --history ${e.node}).`,
          `Only if you are certain ${e.node} is powered off: stonith_admin --confirm ${e.node}.`,
        ],
      };
  }
}

/** What `ha enable` tells the user about fencing before it asks for consent. */
export const FENCING_EXPLANATION =
  'Without fencing, a cluster cannot recover safely from a split: when nodes lose sight of each other, nothing makes sure the lost node really stopped its resources, so a floating IP or a service could run twice. Pacemaker fences (powers off) a lost node before it starts its resources elsewhere.';

export { FENCING_OPTIONS };
