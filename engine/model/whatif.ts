/**
 * What-if on a running cluster: "if these nodes (and/or the QDevice) go away, is the rest quorate,
 * and how many more can it lose?" — answered from the live membership (who is up now, expected
 * votes as corosync holds them, whether the QDevice votes now) by the partition evaluator, so it
 * can never disagree with `evaluatePartitions` (and that one is checked against real corosync).
 */
import type { QuorumNode, VotequorumConfig } from './cluster';
import { err, ok, type Result } from '../result';
import { evaluatePartitions, type LiveMembership } from './partitions';
import { effectiveVotequorum, nodelistVotes } from './votequorum';

/** The cluster as one node's corosync reports it now (`corosync-quorumtool -s`). */
export interface LiveQuorum {
  /** Node names (as in the nodelist) in the reporting node's membership. */
  readonly members: readonly string[];
  readonly quorate: boolean;
  /** Votes present, the QDevice's included when it casts them. */
  readonly totalVotes: number;
  readonly expectedVotes: number;
  readonly quorum: number;
  /** The QDevice casts its vote now (its row in corosync-quorumtool shows votes > 0). */
  readonly qdeviceVoting: boolean;
}

/** What goes away: nodes by nodelist name, and/or the QDevice (its qnetd host unreachable). */
export interface WhatIfDown {
  readonly nodes: readonly string[];
  readonly qdevice: boolean;
}

export interface QuorumFigures {
  readonly quorate: boolean;
  readonly votes: number;
  readonly expectedVotes: number;
  readonly quorum: number;
  /** Further nodes this membership can lose (worst case, one failure after another) and stay quorate. */
  readonly canLose: number;
}

export interface WhatIfAnswer {
  readonly now: QuorumFigures;
  /** The partition of every remaining member, once corosync (and qnetd, and LMS) have settled. */
  readonly after: QuorumFigures;
  /** One line for a person: why `after` is what it is. */
  readonly reason: string;
  /** The members left after the loss, in nodelist order. */
  readonly remaining: readonly string[];
}

/** Check the names of a what-if; errors name the nodelist so the hint says what to type. */
export function checkWhatIf(cfg: VotequorumConfig, live: LiveQuorum, down: WhatIfDown): Result<void> {
  const known = new Set(cfg.nodes.map((n) => n.name));
  const hint = `node names are those of the nodelist: ${[...known].join(', ')}${cfg.qdevice ? ', or qdevice' : ''}`;
  for (const name of down.nodes) {
    if (!known.has(name)) {
      return err('whatif.unknown-node', `no node named "${name}" in this cluster`, hint);
    }
  }
  if (down.qdevice && !cfg.qdevice) {
    return err('whatif.no-qdevice', 'this cluster has no QDevice', hint);
  }
  for (const name of live.members) {
    if (!known.has(name)) {
      return err(
        'whatif.unknown-member',
        `corosync reports a member "${name}" that is not in corosync.conf`,
        'The configuration read is not the one corosync runs; reload it on every node (corosync-cfgtool -R).',
      );
    }
  }
  return ok(undefined);
}

/**
 * Answer a what-if. `now` is what corosync reports (its canLose computed here); `after` evaluates
 * the live membership split into the nodes going away (each dead, alone) and the rest, the rest
 * reaching the qnetd host unless `down.qdevice` (and only if the QDevice votes now).
 * Nodes already out of the membership are not lost again. Names must pass `checkWhatIf`.
 * @throws RangeError for names `checkWhatIf` refuses.
 */
export function whatIf(cfg: VotequorumConfig, live: LiveQuorum, down: WhatIfDown): WhatIfAnswer {
  const checked = checkWhatIf(cfg, live, down);
  if (!checked.ok) {
    throw new RangeError(checked.error.message);
  }
  const inNodelistOrder = (names: Iterable<string>): string[] => {
    const set = new Set(names);
    return cfg.nodes.filter((n) => set.has(n.name)).map((n) => n.name);
  };
  const members = inNodelistOrder(live.members);
  const gone = new Set(down.nodes);
  const lost = members.filter((n) => gone.has(n));
  const remaining = members.filter((n) => !gone.has(n));
  const already = inNodelistOrder(down.nodes).filter((n) => !members.includes(n));
  const state: LiveMembership = {
    expectedVotes: live.expectedVotes,
    quorate: live.quorate,
    qdeviceVoting: live.qdeviceVoting,
  };
  const now: QuorumFigures = {
    quorate: live.quorate,
    votes: live.totalVotes,
    expectedVotes: live.expectedVotes,
    quorum: live.quorum,
    canLose: canLose(cfg, members, state),
  };
  const qdeviceStays = live.qdeviceVoting && !down.qdevice;
  const split = split1(cfg, members, state, lost, qdeviceStays);
  const notes: string[] = [];
  if (already.length > 0) {
    notes.push(`${already.join(', ')} ${already.length === 1 ? 'is' : 'are'} already out of the membership`);
  }
  if (down.qdevice && !live.qdeviceVoting) {
    notes.push('the QDevice casts no vote now anyway');
  }
  if (!split) {
    const reason = [`no member would be left`, ...notes].join('; ');
    return {
      now,
      after: { quorate: false, votes: 0, expectedVotes: live.expectedVotes, quorum: live.quorum, canLose: 0 },
      reason,
      remaining,
    };
  }
  const after: QuorumFigures = {
    quorate: split.quorate,
    votes: split.votes,
    expectedVotes: split.expectedVotes,
    quorum: split.quorum,
    canLose: split.quorate
      ? canLose(cfg, remaining, {
          expectedVotes: split.expectedVotes,
          quorate: true,
          qdeviceVoting: split.votes > nodelistVotes(pick(cfg, remaining)),
        })
      : 0,
  };
  const what = [...lost, ...(down.qdevice ? ['the QDevice'] : [])];
  const head =
    what.length === 0
      ? `nothing goes away: ${split.reason}`
      : `without ${what.join(', ')}: ${remaining.join(', ')} ${verb(remaining.length, split.quorate)} — ${split.reason}`;
  return { now, after, reason: [head, ...notes].join('; '), remaining };
}

function verb(count: number, quorate: boolean): string {
  if (quorate) {
    return count === 1 ? 'stays quorate' : 'stay quorate';
  }
  return count === 1 ? 'loses quorum' : 'lose quorum';
}

/** The verdict for `remaining` once `lost` (each on its own, dead) left a live membership. */
function split1(
  cfg: VotequorumConfig,
  members: readonly string[],
  live: LiveMembership,
  lost: readonly string[],
  qdeviceStays: boolean,
): { quorate: boolean; votes: number; expectedVotes: number; quorum: number; reason: string } | undefined {
  if (members.length === lost.length) {
    return undefined;
  }
  const groups = lost.map((n) => [n]);
  const verdicts = evaluatePartitions(cfg, {
    up: members,
    groups,
    // The rest comes last; the dead nodes reach nobody.
    qdeviceReachable: [...groups.map(() => false), qdeviceStays],
    live,
  });
  return verdicts[verdicts.length - 1]!;
}

/**
 * How many more nodes a live membership can lose and stay quorate: one failure after another,
 * each time the worst one — the node whose loss leaves the fewest votes (the most votes; among
 * equals the auto_tie_breaker holder, i.e. the lowest or highest node id, or the first listed).
 * The QDevice is assumed to stay reachable.
 */
function canLose(cfg: VotequorumConfig, members: readonly string[], live: LiveMembership): number {
  if (!live.quorate) {
    return 0;
  }
  const order = worstFirst(cfg, members);
  let state = live;
  let left = [...members];
  let lost = 0;
  for (const victim of order) {
    const v = split1(cfg, left, state, [victim], state.qdeviceVoting);
    if (!v || !v.quorate) {
      break;
    }
    left = left.filter((n) => n !== victim);
    state = {
      expectedVotes: v.expectedVotes,
      quorate: true,
      qdeviceVoting: v.votes > nodelistVotes(pick(cfg, left)),
    };
    lost++;
  }
  return lost;
}

function pick(cfg: VotequorumConfig, names: readonly string[]): QuorumNode[] {
  const set = new Set(names);
  return cfg.nodes.filter((n) => set.has(n.name));
}

/** Members ordered so that losing them in turn hurts most: votes descending, tie-breaker first. */
function worstFirst(cfg: VotequorumConfig, members: readonly string[]): string[] {
  const atb = effectiveVotequorum(cfg).autoTieBreaker;
  const rank = (n: QuorumNode): number => {
    if (atb === 'highest') {
      return -n.nodeid;
    }
    if (Array.isArray(atb)) {
      const i = atb.indexOf(n.nodeid);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i - 0x1_0000_0000;
    }
    return n.nodeid;
  };
  return pick(cfg, members)
    .sort((a, b) => b.votes - a.votes || rank(a) - rank(b))
    .map((n) => n.name);
}
