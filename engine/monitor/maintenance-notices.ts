/**
 * A node the user took down on purpose (maintenance mode, a rolling update) is no alarm: its
 * "left" / "lost" notice becomes "node2 is down for maintenance" (info). Quorum loss stays critical
 * whatever the reason — maintenance never hides it.
 */
import type { Notice } from './notices';

export function maintenanceNotices(notices: readonly Notice[], inMaintenance: (node: string) => boolean): Notice[] {
  return notices.map((n) =>
    (n.kind === 'node-left' || n.kind === 'node-lost') && n.node !== undefined && inMaintenance(n.node)
      ? {
          ...n,
          kind: 'node-left',
          severity: 'info',
          title: `${n.cluster}: ${n.node} is down for maintenance`,
          body: `${n.node} was put in maintenance; the others carry on without it.`,
          guidance: [`Take ${n.node} out of maintenance when it is back (quorate maintenance disable).`],
        }
      : n,
  );
}
