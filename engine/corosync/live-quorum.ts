/**
 * `corosync-quorumtool -s` as the model's `LiveQuorum`: the live membership by nodelist name, the
 * figures corosync holds, and whether the QDevice casts its vote now.
 */
import type { LiveQuorum } from '../model/whatif';
import type { QuorumtoolStatus } from './tool-quorumtool';

/**
 * Map a parsed status onto nodelist names (quorumtool prints names, or addresses with `-i`, so
 * members are matched by node id). Undefined when the provider is not votequorum.
 */
export function liveQuorumFromStatus(
  status: QuorumtoolStatus,
  nodelist: readonly { readonly name: string; readonly nodeid: number }[],
): LiveQuorum | undefined {
  const vq = status.votequorum;
  if (!vq) {
    return undefined;
  }
  const byId = new Map(nodelist.map((n) => [n.nodeid, n.name] as const));
  const local = status.members.find((m) => m.local);
  return {
    members: status.members.map((m) => byId.get(m.nodeid) ?? m.name),
    quorate: status.quorate,
    totalVotes: vq.totalVotes,
    expectedVotes: vq.expectedVotes,
    quorum: vq.quorum,
    // The Qdevice row shows the votes it contributes now (0 when it casts none).
    qdeviceVoting: status.qdevice !== undefined ? status.qdevice.votes > 0 : (local?.qdevice?.castVote ?? false),
  };
}
