/**
 * "How many nodes can fail?" — the table the Proxmox docs give (2→0, 3→1, 4→1, 5→2), computed
 * with the partition evaluator so it can never disagree with it.
 */
import { nodeId, type VotequorumConfig } from './cluster';
import { evaluatePartitions } from './partitions';

export interface FailureTable {
  /** For failed = 0..nodes: is the rest still quorate (worst case, every node 1 vote)? */
  readonly rows: { failed: number; quorate: boolean }[];
  /** Largest k such that any k simultaneous failures leave the rest quorate. */
  readonly canLose: number;
}

/**
 * The failure table for `nodes` one-vote nodes after a cold start with all of them.
 * With `qdevice`, the QDevice is set up as Proxmox recommends and Quorate does: even node counts
 * get ffsplit with 1 vote, odd ones lms with corosync's default N−1 votes; the survivors reach the
 * qnetd host, the failed nodes are dead.
 */
export function failureTable(nodes: number, opts: { qdevice?: boolean } = {}): FailureTable {
  if (!Number.isInteger(nodes) || nodes < 1) {
    throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
  }
  const cfg = tableConfig(nodes, opts.qdevice ?? false);
  const names = cfg.nodes.map((n) => n.name);
  const rows: { failed: number; quorate: boolean }[] = [];
  for (let failed = 0; failed <= nodes; failed++) {
    const survivors = names.slice(0, nodes - failed);
    const dead = names.slice(nodes - failed).map((n) => [n]);
    const groups = survivors.length > 0 ? [survivors, ...dead] : dead;
    const verdicts = evaluatePartitions(cfg, {
      groups,
      qdeviceReachable: groups.map((_, i) => survivors.length > 0 && i === 0),
    });
    rows.push({ failed, quorate: survivors.length > 0 && verdicts[0]!.quorate });
  }
  let canLose = 0;
  while (canLose + 1 < rows.length && rows[canLose + 1]!.quorate) {
    canLose++;
  }
  // Zero failures may already be inquorate (impossible with this config, but keep the meaning).
  if (!rows[0]!.quorate) {
    canLose = 0;
  }
  return { rows, canLose };
}

/** The configuration `failureTable` reasons about (exported for tests and the UI's explanations). */
export function tableConfig(nodes: number, qdevice: boolean): VotequorumConfig {
  const list = Array.from({ length: nodes }, (_, i) => ({ name: `node${i + 1}`, nodeid: nodeId(i + 1), votes: 1 }));
  return {
    nodes: list,
    twoNode: false,
    lastManStanding: false,
    lastManStandingWindowMs: 10_000,
    autoTieBreaker: false,
    autoTieBreakerNode: 'lowest',
    ...(qdevice
      ? {
          qdevice:
            nodes % 2 === 0
              ? {
                  model: 'net' as const,
                  votes: 1,
                  host: 'qnetd',
                  algorithm: 'ffsplit' as const,
                  tieBreaker: 'lowest' as const,
                }
              : { model: 'net' as const, host: 'qnetd', algorithm: 'lms' as const, tieBreaker: 'lowest' as const },
        }
      : {}),
  };
}
