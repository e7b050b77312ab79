/**
 * The node agent's `quorum.watch` events → the monitor's `QuorumView`. Pure.
 */
import type { QuorumWatchEvent } from '../agent/protocol';
import type { QuorumView } from './health';

/**
 * The view of `reporter` (the node whose agent sent `event`). corosync not running there means the
 * node is in no membership at all: an inquorate view of nobody, which the health counts as that
 * node missing.
 */
export function viewFromQuorumEvent(reporter: string, event: QuorumWatchEvent): QuorumView {
  const status = event.running ? event.status : null;
  if (!status) {
    return { reporter, quorate: false, members: [] };
  }
  const members = status.members.map((m) => m.name);
  const local = status.members.find((m) => m.local);
  const flags = local?.qdeviceFlags ?? [];
  if (flags.length === 0 && status.qdeviceVotes === null) {
    return { reporter, quorate: status.quorate, members };
  }
  // Flags as corosync-quorumtool prints them: A/NA (qdevice alive), V/NV (vote granted).
  return {
    reporter,
    quorate: status.quorate,
    members,
    qdevice: { alive: flags.includes('A'), vote: flags.includes('V') },
  };
}
