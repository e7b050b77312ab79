/**
 * HA events from successive statuses: what changed that a person should hear about — a resource
 * that moved (failover, standby or an explicit move), an action that failed, fencing switched off
 * or a node waiting to be fenced. Pure; the clock is the caller's (`at`).
 *
 * Debounced the way the quorum notices are: a resource in transit (stopped on the old node, not yet
 * started on the new one) produces nothing until it runs again, and then one "moved" naming both
 * nodes; a failure is reported once per (resource, node, task, call); fencing notices once until the
 * condition clears. The first status only sets the baseline (history is not news).
 */
import type { HaStatus } from './types';

export type HaEvent =
  | {
      readonly kind: 'resource-moved';
      readonly resource: string;
      readonly from: string;
      readonly to: string;
      /** failover: `from` left the cluster; standby: `from` was put in standby; move: anything else. */
      readonly cause: 'failover' | 'standby' | 'move';
      readonly at: number;
    }
  | {
      readonly kind: 'resource-failed';
      readonly resource: string;
      readonly node: string;
      readonly task: string;
      readonly reason: string;
      readonly at: number;
    }
  | { readonly kind: 'fencing-disabled'; readonly at: number }
  | { readonly kind: 'fencing-pending'; readonly node: string; readonly at: number };

export interface HaEventTracker {
  /** Feed the latest status; returns the events it implies (possibly none). */
  observe(status: HaStatus, at: number): HaEvent[];
}

export function createHaEventTracker(): HaEventTracker {
  let baseline = false;
  /** Last node each resource was seen running on (kept while it is in transit). */
  const lastNode = new Map<string, string>();
  const failures = new Set<string>();
  let fencingOffNotified = false;
  const unclean = new Set<string>();
  let previous: HaStatus | undefined;

  return {
    observe(status, at) {
      const events: HaEvent[] = [];
      const nodeOf = (s: HaStatus | undefined, name: string) => s?.nodes.find((n) => n.name === name);
      for (const r of status.resources) {
        if (r.state !== 'started' || r.node === null) {
          continue;
        }
        const from = lastNode.get(r.id);
        if (baseline && from !== undefined && from !== r.node) {
          const was = nodeOf(status, from);
          const before = nodeOf(previous, from);
          const cause =
            !was || !was.online ? 'failover' : was.standby || before?.standby ? 'standby' : ('move' as const);
          events.push({ kind: 'resource-moved', resource: r.id, from, to: r.node, cause, at });
        }
        lastNode.set(r.id, r.node);
      }
      for (const id of [...lastNode.keys()]) {
        if (!status.resources.some((r) => r.id === id)) {
          lastNode.delete(id);
        }
      }
      const current = new Set<string>();
      for (const f of status.failures) {
        const key = `${f.resource}\u0000${f.node}\u0000${f.task}\u0000${f.call}`;
        current.add(key);
        if (baseline && !failures.has(key)) {
          events.push({
            kind: 'resource-failed',
            resource: f.resource,
            node: f.node,
            task: f.task,
            reason: f.reason,
            at,
          });
        }
      }
      failures.clear();
      for (const k of current) {
        failures.add(k);
      }
      if (status.fencing === false) {
        if (!fencingOffNotified) {
          events.push({ kind: 'fencing-disabled', at });
          fencingOffNotified = true;
        }
      } else if (status.fencing === true) {
        fencingOffNotified = false;
      }
      for (const n of status.nodes) {
        if (n.unclean && !unclean.has(n.name)) {
          unclean.add(n.name);
          events.push({ kind: 'fencing-pending', node: n.name, at });
        } else if (!n.unclean) {
          unclean.delete(n.name);
        }
      }
      baseline = true;
      previous = status;
      return events;
    },
  };
}
