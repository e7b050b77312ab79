/**
 * "Why is it not quorate yet?" after a power loss, when nodes come back one by one: which votes are
 * missing, from whom, and whether wait_for_all holds the cluster back until every node has been
 * seen — in the words the dashboard shows ("2 of 3 votes needed: node3 is not back yet; with
 * wait_for_all the cluster waits for every node").
 */
import type { VotequorumConfig } from './cluster';
import { effectiveVotequorum } from './votequorum';
import type { LiveQuorum } from './whatif';

export interface QuorumWait {
  /** Not quorate: it is waiting for nodes (or for the user's decision). */
  readonly waiting: boolean;
  /** Nodelist nodes not in the live membership, nodelist order. */
  readonly missing: readonly string[];
  readonly waitForAll: boolean;
  /** The votes present would be enough, but wait_for_all holds it back until every node was seen. */
  readonly blockedByWaitForAll: boolean;
  readonly text: string;
}

export function quorumWait(cfg: VotequorumConfig, live: LiveQuorum): QuorumWait {
  const members = new Set(live.members);
  const missing = cfg.nodes.filter((n) => !members.has(n.name)).map((n) => n.name);
  const wfa = effectiveVotequorum(cfg).waitForAll;
  if (live.quorate) {
    return {
      waiting: false,
      missing,
      waitForAll: wfa,
      blockedByWaitForAll: false,
      text: `quorate: ${live.totalVotes} of ${live.expectedVotes} votes, ${live.quorum} needed`,
    };
  }
  const blocked = wfa && live.totalVotes >= live.quorum;
  const who =
    missing.length === 0
      ? 'every node is back (the QDevice vote is missing)'
      : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not back yet`;
  const head = `${live.quorum} of ${live.expectedVotes} votes needed, ${live.totalVotes} present: ${who}`;
  return {
    waiting: true,
    missing,
    waitForAll: wfa,
    blockedByWaitForAll: blocked,
    text: wfa ? `${head}; with wait_for_all the cluster waits for every node` : head,
  };
}
