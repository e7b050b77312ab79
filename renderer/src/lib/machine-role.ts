/**
 * What a machine is in the clusters the dashboard watches: a node (named as in corosync.conf, online
 * or not as corosync's membership says) or the QDevice host. Pure. The Machines page uses it so the
 * qnetd host is not labelled like a node and a node corosync has lost does not read "ready".
 */
import type { ClusterStatus, Machine } from '../../../engine/api/contract';

export type MachineRole =
  | {
      readonly role: 'node';
      readonly cluster: string;
      readonly node: string;
      /** null: no node of the cluster has answered yet, so nobody knows. */
      readonly online: boolean | null;
    }
  | { readonly role: 'qdevice'; readonly cluster: string };

export function machineRole(
  machine: Pick<Machine, 'address' | 'hostname' | 'cluster'>,
  statuses: Readonly<Record<string, ClusterStatus>>,
): MachineRole | null {
  for (const status of Object.values(statuses)) {
    const node = status.nodes.find((n) => n.machine === machine.address);
    if (node) {
      return {
        role: 'node',
        cluster: status.name,
        node: node.name,
        online: status.reporter === null ? null : node.online,
      };
    }
    const host = status.qdevice?.host;
    if (host !== undefined && (host === machine.address || (machine.hostname !== null && host === machine.hostname))) {
      return { role: 'qdevice', cluster: status.name };
    }
  }
  // In a cluster whose status has not arrived: the engine says which one, not what role.
  return null;
}

/** The badge next to the machine's state: "node2 in homelab", "QDevice of homelab". */
export function roleLabel(machine: Pick<Machine, 'cluster'>, role: MachineRole | null): string | null {
  if (role?.role === 'node') {
    return `${role.node} in ${role.cluster}`;
  }
  if (role?.role === 'qdevice') {
    return `QDevice of ${role.cluster}`;
  }
  return machine.cluster ? `in ${machine.cluster}` : null;
}
