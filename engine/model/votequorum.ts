/**
 * Votequorum arithmetic as corosync 3.1 computes it (exec/votequorum.c), over the plain
 * `VotequorumConfig`. Every rule here was read in that source and checked against real corosync
 * in test/engine/model/votequorum-real.lab.test.ts; where corosync differs from its man page, the
 * source wins and the comment says so.
 */
import type { AutoTieBreakerNode, NodeId, QuorumNode, VotequorumConfig } from './cluster';

/** How corosync actually runs a configuration once it has read it (options it disables, refusals). */
export interface EffectiveVotequorum {
  /** Set when corosync refuses to start with this configuration; the text says why. */
  readonly fatal?: string;
  /** `two_node` as in force (corosync drops it when auto_tie_breaker is also set). */
  readonly twoNode: boolean;
  readonly waitForAll: boolean;
  /** last_man_standing as in force (dropped when a node has more than 1 vote). */
  readonly lastManStanding: boolean;
  readonly lastManStandingWindowMs: number;
  /** auto_tie_breaker as in force, or undefined when off or disabled by corosync. */
  readonly autoTieBreaker?: AutoTieBreakerNode;
  /** Votes the QDevice adds to expected votes (0 without a QDevice). */
  readonly qdeviceVotes: number;
  /**
   * Whether those votes are already in `configuredExpectedVotes`: true when corosync computed
   * the default (no `quorum.device.votes`); with explicit votes, corosync adds them only when the
   * running total exceeds the nodelist sum.
   */
  readonly qdeviceVotesAutomatic: boolean;
  /** Set when the QDevice daemon will never cast a vote (it exits at start); the text says why. */
  readonly qdeviceProblem?: string;
  /** `us->expected_votes` right after reading the configuration. */
  readonly configuredExpectedVotes: number;
  /** Things corosync silently changed, one line each, for the UI to show. */
  readonly notes: readonly string[];
}

/** Sum of `quorum_votes` over the nodelist (each defaults to 1). */
export function nodelistVotes(nodes: readonly QuorumNode[]): number {
  return nodes.reduce((sum, n) => sum + n.votes, 0);
}

/**
 * Votes the QDevice contributes: `quorum.device.votes` when set, otherwise corosync's default.
 * What corosync does (checked with corosync 3.1.7 / corosync-qdevice 3.0.3 in
 * test/engine/model/votequorum-real.lab.test.ts): without `votes`, votequorum counts the nodelist
 * sum − 1 for every algorithm (3 nodes + ffsplit → expected votes 5); corosync-qdevice with ffsplit
 * then exits at start ("50:50 split algorithm works only if quorum.device.votes configuration key
 * is set to 1!"), lms runs with it. So ffsplit needs an explicit `votes: 1` (see `qdeviceProblem`).
 * 0 when no QDevice is configured.
 */
export function qdeviceVotes(cfg: VotequorumConfig): number {
  if (!cfg.qdevice) {
    return 0;
  }
  if (cfg.qdevice.votes !== undefined) {
    return cfg.qdevice.votes;
  }
  return Math.max(0, nodelistVotes(cfg.nodes) - 1);
}

/**
 * Whether wait_for_all is in force: the explicit `wait_for_all`, else it follows `two_node`
 * (corosync sets it from two_node before it may drop two_node for auto_tie_breaker).
 */
export function waitForAll(cfg: VotequorumConfig): boolean {
  return cfg.waitForAll ?? cfg.twoNode;
}

/**
 * Expected votes as `corosync-quorumtool -s` shows them once every node (and the QDevice, when
 * configured) has been present: the sum of `quorum_votes` plus the QDevice votes, or the
 * `quorum.expected_votes` override — which can raise that figure but not lower it, because
 * votequorum lifts expected votes to the highest total it has seen.
 */
export function expectedVotes(cfg: VotequorumConfig): number {
  return Math.max(cfg.expectedVotes ?? 0, nodelistVotes(cfg.nodes) + qdeviceVotes(cfg));
}

/**
 * Quorum for a number of expected votes: ⌊expected/2⌋ + 1. With `two_node` in force and at most
 * two members (a casting QDevice counts as one, as corosync counts it) quorum is 1.
 * @param members members of the partition (nodes + 1 for a casting QDevice); defaults to the
 *   nodelist size, i.e. the whole cluster.
 */
export function quorumFor(expected: number, cfg?: VotequorumConfig, members?: number): number {
  if (cfg && effectiveVotequorum(cfg).twoNode && (members ?? cfg.nodes.length) <= 2) {
    return 1;
  }
  return Math.floor(expected / 2) + 1;
}

/**
 * Read a configuration the way votequorum_readconfig() does at start-up: which options stay on,
 * which corosync drops (with a log line nobody reads), and which make it refuse to start.
 */
export function effectiveVotequorum(cfg: VotequorumConfig): EffectiveVotequorum {
  const notes: string[] = [];
  const nodeSum = nodelistVotes(cfg.nodes);
  const hasQdevice = cfg.qdevice !== undefined;
  const explicitQdeviceVotes = cfg.qdevice?.votes;
  let twoNode = cfg.twoNode;
  const wfa = waitForAll(cfg);
  let lms = cfg.lastManStanding;
  let atb: AutoTieBreakerNode | undefined = cfg.autoTieBreaker ? cfg.autoTieBreakerNode : undefined;
  let fatal: string | undefined;

  if (twoNode && hasQdevice) {
    fatal = 'two_node and a quorum device cannot be configured at the same time';
  }
  if (twoNode && atb !== undefined) {
    twoNode = false;
    notes.push('two_node is ignored because auto_tie_breaker is set (wait_for_all stays on)');
  }
  // An odd vote total with ATB but without WFA would let an isolated half+1 without the
  // tie-breaker node become quorate after a reboot, so corosync switches ATB off (or refuses with LMS).
  if (atb !== undefined && nodeSum % 2 === 1 && !wfa) {
    if (lms) {
      fatal ??= 'auto_tie_breaker and last_man_standing need wait_for_all in a cluster with an odd number of votes';
    } else {
      notes.push('auto_tie_breaker is disabled: an odd number of votes needs wait_for_all with it');
    }
    atb = undefined;
  }
  if (hasQdevice && lms) {
    fatal ??= 'a quorum device is not compatible with last_man_standing';
  }
  if (hasQdevice && atb !== undefined) {
    fatal ??= 'a quorum device is not compatible with auto_tie_breaker';
  }
  if (hasQdevice && cfg.expectedVotes !== undefined && explicitQdeviceVotes === undefined) {
    fatal ??= 'quorum.device.votes must be set when quorum.expected_votes is set';
  }
  if (hasQdevice && explicitQdeviceVotes === undefined && cfg.nodes.some((n) => n.votes !== 1)) {
    fatal ??= 'quorum.device.votes must be set when not every node has 1 vote';
  }
  if (
    hasQdevice &&
    explicitQdeviceVotes !== undefined &&
    explicitQdeviceVotes > 0 &&
    cfg.expectedVotes !== undefined &&
    cfg.expectedVotes - explicitQdeviceVotes < 2
  ) {
    fatal ??= 'quorum.device.votes is too high or quorum.expected_votes is too low';
  }
  if (lms && cfg.nodes.some((n) => n.votes > 1)) {
    lms = false;
    notes.push('last_man_standing is disabled: it works only when every node has 1 vote');
  }

  const qVotes = qdeviceVotes(cfg);
  const automatic = hasQdevice && explicitQdeviceVotes === undefined;
  const configuredExpectedVotes = cfg.expectedVotes ?? nodeSum + (automatic ? qVotes : 0);

  let qdeviceProblem: string | undefined;
  if (cfg.qdevice?.algorithm === 'ffsplit') {
    // qdevice-net-algo-ffsplit.c refuses anything but exactly 1 vote everywhere.
    if (explicitQdeviceVotes !== 1) {
      qdeviceProblem = 'ffsplit needs quorum.device.votes set to 1; corosync-qdevice exits';
    } else if (cfg.nodes.some((n) => n.votes !== 1)) {
      qdeviceProblem = 'ffsplit needs every node to have exactly 1 vote; corosync-qdevice exits';
    }
  }

  return {
    ...(fatal !== undefined ? { fatal } : {}),
    twoNode,
    waitForAll: wfa,
    lastManStanding: lms,
    lastManStandingWindowMs: cfg.lastManStandingWindowMs,
    ...(atb !== undefined ? { autoTieBreaker: atb } : {}),
    qdeviceVotes: qVotes,
    qdeviceVotesAutomatic: automatic,
    ...(qdeviceProblem !== undefined ? { qdeviceProblem } : {}),
    configuredExpectedVotes,
    notes,
  };
}

/** The lowest node id among `nodes` (auto_tie_breaker / tie_breaker `lowest`); undefined when empty. */
export function lowestNodeId(nodes: readonly QuorumNode[]): NodeId | undefined {
  let best: NodeId | undefined;
  for (const n of nodes) {
    if (best === undefined || n.nodeid < best) {
      best = n.nodeid;
    }
  }
  return best;
}

/** The highest node id among `nodes` (auto_tie_breaker / tie_breaker `highest`); undefined when empty. */
export function highestNodeId(nodes: readonly QuorumNode[]): NodeId | undefined {
  let best: NodeId | undefined;
  for (const n of nodes) {
    if (best === undefined || n.nodeid > best) {
      best = n.nodeid;
    }
  }
  return best;
}
