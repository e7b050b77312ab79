/** Plain arithmetic for the quorum gauge and the "can lose" wording. */

export interface GaugeModel {
  /** Percent of the scale (the scale is max(expected, total) votes). */
  readonly present: number;
  readonly quorumMark: number;
  readonly scale: number;
  readonly margin: number;
}

/** Where the bar, the quorum mark and the scale sit for `present` votes of `expected`. */
export function gaugeModel(presentVotes: number, quorum: number, expectedVotes: number): GaugeModel {
  const scale = Math.max(expectedVotes, presentVotes, quorum, 1);
  return {
    present: clampPercent((presentVotes / scale) * 100),
    quorumMark: clampPercent((quorum / scale) * 100),
    scale,
    margin: presentVotes - quorum,
  };
}

function clampPercent(n: number): number {
  return Math.max(0, Math.min(100, n));
}

/** "can lose 1 node", "can lose 2 nodes", "cannot lose any node". */
export function canLoseText(n: number): string {
  if (n <= 0) {
    return 'cannot lose any node';
  }
  return `can lose ${n} node${n === 1 ? '' : 's'}`;
}

/** Votes currently present: online nodes plus the QDevice when it votes. */
export function presentVotes(nodes: readonly { votes: number; online: boolean }[], qdeviceVotes: number): number {
  return nodes.filter((n) => n.online).reduce((sum, n) => sum + n.votes, 0) + qdeviceVotes;
}
