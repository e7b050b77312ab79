/**
 * What the per-node QDevice state of `corosync-quorumtool -s` / `pvecm status` means, for status
 * output. The parsing is engine/corosync's (`parseQuorumtoolStatus`, `parsePvecmStatus`); this only
 * turns its `MemberQdeviceState` back into the printed words and explains each.
 */
import type { MemberQdeviceState } from '../corosync';

/** What each QDevice flag means, for status output. */
export const QDEVICE_FLAG_MEANINGS: Readonly<Record<string, string>> = {
  A: 'Alive: the node’s qdevice daemon is running and talking to corosync',
  NA: 'Not alive: the node’s qdevice daemon is not running or not registered',
  V: 'Vote: the QDevice casts its vote for this node’s partition',
  NV: 'No vote: the QDevice does not vote for this node (qnetd unreachable or the other side won)',
  MW: 'Master wins: qdevice told votequorum this partition wins (lms/ffsplit decision)',
  NMW: 'Not master wins',
  NR: 'Not registered with votequorum',
};

/** The flags as corosync-quorumtool prints them (`['A', 'V', 'NMW']`, or `['NR']`); none without a QDevice column. */
export function qdeviceFlags(state: MemberQdeviceState | undefined): string[] {
  if (!state) {
    return [];
  }
  if (!state.registered) {
    return ['NR'];
  }
  return [state.alive ? 'A' : 'NA', state.castVote ? 'V' : 'NV', state.masterWins ? 'MW' : 'NMW'];
}
