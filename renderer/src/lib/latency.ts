import type { CheckStatus, LinkPairLatency } from '../../../engine/api/contract';

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  /** null on the diagonal and for pairs not measured. */
  readonly pair: LinkPairLatency | null;
}

/** Machines in first-seen order and a rows×columns matrix of measured pairs (row = from). */
export function latencyMatrix(pairs: readonly LinkPairLatency[]): { machines: string[]; rows: MatrixCell[][] } {
  const machines: string[] = [];
  for (const p of pairs) {
    if (!machines.includes(p.from)) {
      machines.push(p.from);
    }
    if (!machines.includes(p.to)) {
      machines.push(p.to);
    }
  }
  const rows = machines.map((from) =>
    machines.map((to) => ({
      from,
      to,
      pair: from === to ? null : (pairs.find((p) => p.from === from && p.to === to) ?? null),
    })),
  );
  return { machines, rows };
}

/** Heat class for a cell: the check's status, or `none`. */
export function heat(pair: LinkPairLatency | null): CheckStatus | 'none' {
  return pair ? pair.status : 'none';
}

/** "0.42 ms", "12 ms", "no answer". */
export function formatRtt(pair: LinkPairLatency): string {
  if (!pair.udpReachable) {
    return 'no answer';
  }
  return `${pair.rttAvgMs < 10 ? pair.rttAvgMs.toFixed(2) : Math.round(pair.rttAvgMs)} ms`;
}
