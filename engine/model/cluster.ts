/**
 * The plain data votequorum reasons about. `engine/corosync` turns a parsed corosync.conf into a
 * `VotequorumConfig` (see `toVotequorumConfig` there); everything in `engine/model` is pure over it.
 */

declare const nodeIdBrand: unique symbol;
/** corosync `nodeid`: a positive 32-bit integer, unique in the nodelist. */
export type NodeId = number & { readonly [nodeIdBrand]: true };

export function isNodeId(n: unknown): n is NodeId {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
}

export function nodeId(n: number): NodeId {
  if (!isNodeId(n)) {
    throw new RangeError(`nodeid must be an integer 1..4294967295, got ${n}`);
  }
  return n;
}

/** knet link number: `ringX_addr` / `interface { linknumber: X }`. */
export type LinkNumber = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const LINK_NUMBERS: readonly LinkNumber[] = [0, 1, 2, 3, 4, 5, 6, 7];

export function isLinkNumber(n: unknown): n is LinkNumber {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 7;
}

export interface QuorumNode {
  readonly name: string;
  readonly nodeid: NodeId;
  /** `quorum_votes`, default 1. */
  readonly votes: number;
}

export type QdeviceAlgorithm = 'ffsplit' | 'lms';
/** `quorum.device.net.tie_breaker`: lowest (default), highest, or a node id. */
export type TieBreaker = 'lowest' | 'highest' | NodeId;
/** `quorum.auto_tie_breaker_node`: lowest (default), highest, or a list of node ids in preference order. */
export type AutoTieBreakerNode = 'lowest' | 'highest' | readonly NodeId[];

export interface QdeviceConfig {
  readonly model: 'net';
  /** `quorum.device.votes`; undefined means corosync's default (see `qdeviceVotes` in votequorum.ts). */
  readonly votes?: number;
  readonly host: string;
  readonly port?: number;
  readonly algorithm: QdeviceAlgorithm;
  readonly tieBreaker: TieBreaker;
  readonly tls?: 'on' | 'off' | 'required';
}

export interface VotequorumConfig {
  readonly nodes: readonly QuorumNode[];
  /** `quorum.expected_votes` override; when absent, the sum of quorum_votes (+ qdevice votes). */
  readonly expectedVotes?: number;
  readonly twoNode: boolean;
  /** Explicit `wait_for_all`; when undefined it follows `two_node`. */
  readonly waitForAll?: boolean;
  readonly lastManStanding: boolean;
  /** `last_man_standing_window` in milliseconds (default 10000). */
  readonly lastManStandingWindowMs: number;
  readonly autoTieBreaker: boolean;
  readonly autoTieBreakerNode: AutoTieBreakerNode;
  readonly qdevice?: QdeviceConfig;
}
