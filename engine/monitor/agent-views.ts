/**
 * The node agent's `quorum.watch` events → the monitor's `QuorumView`. Pure.
 */
import type { QuorumWatchEvent } from '../agent/protocol';
import type { QuorumView } from './health';

/**
 * The view of `reporter` (the node whose agent sent `event`). corosync not running there means the
 * node is in no membership at all: its view counts for nothing, and the node is "stopped" (a clean
 * stop, as opposed to a node nobody can reach). corosync running without a readable status (still
 * starting) is in no membership either, but not stopped.
 */
export function viewFromQuorumEvent(reporter: string, event: QuorumWatchEvent): QuorumView {
  if (!event.running) {
    return { reporter, quorate: false, members: [], stopped: true };
  }
  const status = event.status;
  if (!status) {
    return { reporter, quorate: false, members: [] };
  }
  const members = status.members.map((m) => m.name);
  const local = status.members.find((m) => m.local);
  const flags = local?.qdeviceFlags ?? [];
  const ring = status.ringId ? { ringId: status.ringId } : {};
  if (flags.length === 0 && status.qdeviceVotes === null) {
    return { reporter, quorate: status.quorate, members, ...ring };
  }
  // Flags as corosync-quorumtool prints them: A/NA (qdevice alive), V/NV (vote granted).
  return {
    reporter,
    quorate: status.quorate,
    members,
    ...ring,
    qdevice: { alive: flags.includes('A'), vote: flags.includes('V') },
  };
}
