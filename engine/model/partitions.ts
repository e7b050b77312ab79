/**
 * The partition evaluator: "if the cluster splits like this, who is quorate?" — answered as
 * `corosync-quorumtool -s` would answer on a node of each group once corosync (and qnetd, and the
 * last_man_standing window) have settled.
 */
import type { NodeId, QuorumNode, VotequorumConfig } from './cluster';
import { err, ok, type Result } from '../result';
import { qnetdDecision } from './qnetd';
import {
  effectiveVotequorum,
  expectedVotes,
  highestNodeId,
  lowestNodeId,
  nodelistVotes,
  type EffectiveVotequorum,
} from './votequorum';

export interface PartitionInput {
  /**
   * Nodes started since the last cold start (default: every node). A node not listed was never
   * started: it counts against wait_for_all and is in no group.
   */
  readonly up?: readonly string[];
  /**
   * How the up nodes are split, by node name. The up nodes first formed one membership, then split
   * into these groups. Up nodes not listed form one more group at the end ("the rest"), so
   * `[['pve3']]` means "pve3 is cut off from the others". A node that was up and then died is a
   * group of its own. Default: one group of all up nodes.
   */
  readonly groups?: readonly (readonly string[])[];
  /**
   * Per group (same order, "the rest" last): does it reach the qnetd host? Groups without an entry
   * do (default: all do).
   */
  readonly qdeviceReachable?: readonly boolean[];
  /**
   * The up nodes' membership as corosync holds it now, for a what-if on a running cluster
   * (`engine/model/whatif.ts`): `up` is then the live membership, not "started since cold start".
   * Its expected votes replace the configured figure (votequorum only raises them; last_man_standing
   * or `corosync-quorumtool -e` may have lowered them), a quorate membership is past wait_for_all,
   * and `qdeviceVoting` says whether the QDevice casts its vote before the split.
   */
  readonly live?: LiveMembership;
}

export interface LiveMembership {
  readonly expectedVotes: number;
  readonly quorate: boolean;
  readonly qdeviceVoting: boolean;
}

export interface PartitionVerdict {
  readonly nodes: string[];
  /** Total votes the group holds, including the QDevice's when qnetd granted it. */
  readonly votes: number;
  readonly expectedVotes: number;
  readonly quorum: number;
  readonly quorate: boolean;
  /** One line a homelab user understands. */
  readonly reason: string;
}

/** Check names and shape of a partition input; the CLI shows the error, `evaluatePartitions` throws it. */
export function checkPartitionInput(cfg: VotequorumConfig, input: PartitionInput): Result<void> {
  const known = new Set(cfg.nodes.map((n) => n.name));
  const hint = `node names are those of the nodelist: ${[...known].join(', ')}`;
  const up = new Set(input.up ?? known);
  for (const name of input.up ?? []) {
    if (!known.has(name)) {
      return err('quorum.unknown-node', `up: no node named "${name}" in the nodelist`, hint);
    }
  }
  const seen = new Set<string>();
  for (const [g, group] of (input.groups ?? []).entries()) {
    for (const name of group) {
      if (!known.has(name)) {
        return err('quorum.unknown-node', `groups[${g}]: no node named "${name}" in the nodelist`, hint);
      }
      if (!up.has(name)) {
        return err(
          'quorum.node-not-up',
          `groups[${g}]: node "${name}" is not among the up nodes`,
          'a node that was never started is in no group; list it in up, or leave it out of the groups',
        );
      }
      if (seen.has(name)) {
        return err(
          'quorum.node-twice',
          `groups[${g}]: node "${name}" is in more than one group`,
          'each node belongs to one group',
        );
      }
      seen.add(name);
    }
  }
  const groupCount = resolveGroups(cfg, input).length;
  if (input.qdeviceReachable && input.qdeviceReachable.length > groupCount) {
    return err(
      'quorum.reachable-count',
      `qdeviceReachable: ${input.qdeviceReachable.length} entries for ${groupCount} groups`,
      'give at most one true/false per group (groups without an entry reach the QNetd host)',
    );
  }
  return ok(undefined);
}

/**
 * Evaluate each group of a split. Implements, in order (votequorum.c, qnetd-algo-*.c):
 * 1. the configuration as corosync runs it (`effectiveVotequorum`); a refused one makes every
 *    group inquorate with corosync's reason;
 * 2. the up nodes' membership: expected votes = max(configured, their votes + QDevice votes)
 *    (votequorum keeps the highest total it has seen and never lowers it when nodes leave);
 *    wait_for_all is satisfied only if that membership held every expected vote at once;
 * 3. qnetd's vote per group (ffsplit / lms), only for groups that reach it;
 * 4. per group: votes ≥ quorum (two_node: quorum 1 while at most 2 members), else
 *    auto_tie_breaker when the group holds exactly ⌊expected/2⌋ votes and the tie-breaker node;
 * 5. last_man_standing (the verdict is the one after `last_man_standing_window`): a group starts
 *    the window when, at the split, it still has at least the old quorum in nodes — or, with
 *    auto_tie_breaker, holds the lowest node id of the last quorate membership; if it is quorate
 *    when the window expires, expected votes become its node count and quorum ⌊nodes/2⌋+1, in one
 *    step. Each later membership change starts a new window (the cascade of votequorum(5)); this
 *    one-split evaluator does not chain them — evaluate the next split from the shrunk cluster.
 * Before the split the QDevice is assumed reachable iff some group reaches it now.
 * @throws RangeError when `checkPartitionInput` reports a problem.
 */
export function evaluatePartitions(cfg: VotequorumConfig, input: PartitionInput = {}): PartitionVerdict[] {
  const checked = checkPartitionInput(cfg, input);
  if (!checked.ok) {
    throw new RangeError(checked.error.message);
  }
  const eff = effectiveVotequorum(cfg);
  const byName = new Map(cfg.nodes.map((n) => [n.name, n] as const));
  const groups = resolveGroups(cfg, input).map((g) => g.map((name) => byName.get(name)!));
  const up = groups.flat();
  const reach = groups.map((_, i) => input.qdeviceReachable?.[i] ?? true);

  if (eff.fatal !== undefined) {
    // Nothing runs, so there are no real figures: show the nominal ones beside the refusal.
    const nominal = expectedVotes(cfg);
    return groups.map((g) => ({
      nodes: g.map((n) => n.name),
      votes: 0,
      expectedVotes: nominal,
      quorum: Math.floor(nominal / 2) + 1,
      quorate: false,
      reason: `corosync refuses to start: ${eff.fatal}`,
    }));
  }

  const qVotes = eff.qdeviceVotes;
  const qdeviceWorks = cfg.qdevice !== undefined && eff.qdeviceProblem === undefined && qVotes > 0;
  const upVotes = nodelistVotes(up);
  // get_total_votes() counts the device's votes whether or not it casts them, so they lift
  // expected votes even when they were not in the configured figure (explicit device votes).
  const expected = Math.max(input.live?.expectedVotes ?? eff.configuredExpectedVotes, upVotes + qVotes);

  // Before the split: one membership of the up nodes. The QDevice votes for it if qnetd is
  // reachable by anyone now (our best guess for "before"), ffsplit only for at least half the nodes.
  const configIds = cfg.nodes.map((n) => n.nodeid);
  const before = input.live
    ? qdeviceWorks && input.live.qdeviceVoting
    : qdeviceWorks && cfg.qdevice
      ? qnetdDecision(cfg.qdevice, configIds, [{ nodeids: up.map((n) => n.nodeid), reachesQnetd: reach.some(Boolean) }])
          .granted[0]!
      : false;
  const upTotal = upVotes + (before ? qVotes : 0);
  const upMembers = up.length + (before ? 1 : 0);
  const twoNodeQuorum = (members: number): boolean => eff.twoNode && members <= 2;
  const quorumBefore = twoNodeQuorum(upMembers) ? 1 : Math.floor(expected / 2) + 1;
  const wfaSatisfied = input.live?.quorate === true || !eff.waitForAll || upTotal === expected;
  const upQuorate = input.live ? input.live.quorate : wfaSatisfied && upTotal >= quorumBefore && up.length > 0;
  // votequorum remembers the lowest/highest node id of the last membership in which it was quorate;
  // never quorate → unknown (-1), and the lowest/highest tie-breakers cannot help.
  const lowest = upQuorate ? lowestNodeId(up) : undefined;
  const highest = upQuorate ? highestNodeId(up) : undefined;

  const decision =
    qdeviceWorks && cfg.qdevice
      ? qnetdDecision(
          cfg.qdevice,
          configIds,
          groups.map((g, i) => ({ nodeids: g.map((n) => n.nodeid), reachesQnetd: reach[i]! })),
        )
      : undefined;

  return groups.map((g, i) => {
    const nodes = g.map((n) => n.name);
    const nodeVotes = nodelistVotes(g);
    const cast = decision?.granted[i] ?? false;
    const votes = nodeVotes + (cast ? qVotes : 0);
    const members = g.length + (cast ? 1 : 0);
    const quorum = twoNodeQuorum(members) ? 1 : Math.max(quorumBefore, Math.floor(expected / 2) + 1);
    const qdevicePart = qdevicePhrase(cfg, eff, decision?.why[i], cast, nodeVotes, qVotes);

    if (!wfaSatisfied) {
      const missing =
        up.length === cfg.nodes.length && qVotes > 0 && !before
          ? 'the QDevice vote has not been present since cold start'
          : 'not all nodes have been seen since cold start';
      return {
        nodes,
        votes,
        expectedVotes: expected,
        quorum,
        quorate: false,
        reason: `wait_for_all: ${missing} (${upTotal} of ${expected} votes were ever present together)`,
      };
    }
    let quorate = votes >= quorum;
    let reason = quorate
      ? `${votesText(votes, expected, qdevicePart)} ≥ quorum ${quorum}${twoNodeQuorum(members) ? ' (two_node: quorum is 1; without fencing both halves of a split stay quorate)' : ''}`
      : `${votesText(votes, expected, qdevicePart)} < quorum ${quorum}`;

    const atbNode = atbHolder(eff, g, up, lowest, highest);
    if (
      !quorate &&
      eff.autoTieBreaker !== undefined &&
      votes === Math.floor(expected / 2) &&
      up.length - g.length < quorum &&
      atbNode !== undefined
    ) {
      quorate = true;
      reason = `auto_tie_breaker: exactly half the votes (${votes} of ${expected}) and holds the tie-breaker node (${atbNode.label})`;
    }

    let expectedVotes = expected;
    let finalQuorum = quorum;
    if (
      eff.lastManStanding &&
      quorate &&
      g.length < up.length &&
      (g.length >= quorumBefore ||
        (eff.autoTieBreaker !== undefined && lowest !== undefined && g.some((n) => n.nodeid === lowest)))
    ) {
      const lmsMembers = g.length + (cast ? 1 : 0);
      expectedVotes = lmsMembers;
      finalQuorum = twoNodeQuorum(members) ? 1 : Math.max(Math.floor(lmsMembers / 2) + 1, Math.floor(votes / 2) + 1);
      quorate = votes >= finalQuorum;
      reason = `last_man_standing: after the ${eff.lastManStandingWindowMs / 1000} s window expected votes drop to ${expectedVotes}; ${votes} of ${expectedVotes} votes ${quorate ? '≥' : '<'} quorum ${finalQuorum}`;
    }
    return { nodes, votes, expectedVotes, quorum: finalQuorum, quorate, reason };
  });
}

/** Groups as evaluated: the given ones, then the up nodes no group lists (if any). */
function resolveGroups(cfg: VotequorumConfig, input: PartitionInput): string[][] {
  const up = input.up ?? cfg.nodes.map((n) => n.name);
  if (!input.groups) {
    return [[...up]];
  }
  const listed = new Set(input.groups.flat());
  const rest = up.filter((n) => !listed.has(n));
  const groups = input.groups.map((g) => [...g]);
  return rest.length > 0 ? [...groups, rest] : groups;
}

function atbHolder(
  eff: EffectiveVotequorum,
  group: readonly QuorumNode[],
  up: readonly QuorumNode[],
  lowest: NodeId | undefined,
  highest: NodeId | undefined,
): { label: string } | undefined {
  const atb = eff.autoTieBreaker;
  if (atb === undefined) {
    return undefined;
  }
  const has = (id: NodeId | undefined): boolean => id !== undefined && group.some((n) => n.nodeid === id);
  if (atb === 'lowest') {
    return has(lowest) ? { label: `lowest node id ${lowest}` } : undefined;
  }
  if (atb === 'highest') {
    return has(highest) ? { label: `highest node id ${highest}` } : undefined;
  }
  // The list: the first listed node that was in the previous membership decides; a group holding a
  // later one is refused because the earlier one may be alive on the other side.
  const first = atb.find((id) => up.some((n) => n.nodeid === id));
  return has(first) ? { label: `node id ${first}, first of auto_tie_breaker_node present` } : undefined;
}

function qdevicePhrase(
  cfg: VotequorumConfig,
  eff: EffectiveVotequorum,
  why: string | undefined,
  cast: boolean,
  nodeVotes: number,
  qVotes: number,
): string | undefined {
  if (!cfg.qdevice) {
    return undefined;
  }
  if (eff.qdeviceProblem) {
    return `no QDevice vote: ${eff.qdeviceProblem}`;
  }
  if (cast) {
    return `${nodeVotes} + ${qVotes} QDevice ${qVotes === 1 ? 'vote' : 'votes'} (${why ?? 'granted'})`;
  }
  return `no QDevice vote: ${why ?? 'not granted'}`;
}

function votesText(votes: number, expected: number, qdevicePart: string | undefined): string {
  const base = `${votes} of ${expected} votes`;
  return qdevicePart ? `${base} [${qdevicePart}]` : base;
}
