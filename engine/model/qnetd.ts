/**
 * Which partition corosync-qnetd gives its vote to, after a split, for the two production
 * algorithms (corosync-qdevice 3.0: qnetd-algo-ffsplit.c, qnetd-algo-lms.c). Heuristics are
 * assumed off (Quorate never configures them), so a partition's score is its number of nodes
 * connected to qnetd.
 */
import type { NodeId, QdeviceConfig } from './cluster';

export interface QnetdPartition {
  /** Node ids in this corosync membership. */
  readonly nodeids: readonly NodeId[];
  /** Whether its nodes reach the qnetd host (all or none, in this model). */
  readonly reachesQnetd: boolean;
}

export interface QnetdDecision {
  /** Per partition, in input order: does qnetd ACK (its nodes' qdevices cast the vote)? */
  readonly granted: readonly boolean[];
  /** Per partition: one short phrase saying why (for the verdict's reason). */
  readonly why: readonly string[];
}

/**
 * Decide the vote. `configNodeIds` is the whole nodelist (ffsplit reasons about the configured
 * cluster size; its `lowest`/`highest` tie-breakers pick from the nodelist, lms's from the nodes
 * connected to qnetd).
 */
export function qnetdDecision(
  qdevice: QdeviceConfig,
  configNodeIds: readonly NodeId[],
  partitions: readonly QnetdPartition[],
): QnetdDecision {
  return qdevice.algorithm === 'lms'
    ? lmsDecision(qdevice, partitions)
    : ffsplitDecision(qdevice, configNodeIds, partitions);
}

function ffsplitDecision(
  qdevice: QdeviceConfig,
  configNodeIds: readonly NodeId[],
  partitions: readonly QnetdPartition[],
): QnetdDecision {
  const n = configNodeIds.length;
  const half = Math.floor(n / 2);
  const preferred = tieBreakerFromList(qdevice, configNodeIds);
  // As qnetd_algo_ffsplit_select_partition: walk the partitions that have clients, keep the best.
  // Odd clusters never split 50:50 (only more than half wins); in even ones a half beats nothing,
  // and between two connected halves (same score, same client count, both in the last quorate
  // partition) the one holding the tie_breaker node wins.
  const better = (p: QnetdPartition, best: QnetdPartition | undefined): boolean => {
    const size = p.nodeids.length;
    if (size > half) {
      return true;
    }
    if (n % 2 === 1 || size < half) {
      return false;
    }
    if (!best) {
      return true;
    }
    if (best.nodeids.length > half) {
      return false;
    }
    return preferred !== undefined && p.nodeids.includes(preferred);
  };
  let best = -1;
  partitions.forEach((p, i) => {
    if (!p.reachesQnetd || p.nodeids.length === 0) {
      return;
    }
    if (better(p, best >= 0 ? partitions[best] : undefined)) {
      best = i;
    }
  });
  const winner = best >= 0 ? partitions[best] : undefined;
  let winWhy = '';
  if (winner) {
    const size = winner.nodeids.length;
    const rivals = partitions.some((p, i) => i !== best && p.reachesQnetd && p.nodeids.length === size);
    if (size > half) {
      winWhy = `ffsplit: ${size} of ${n} nodes is more than half`;
    } else if (!rivals) {
      winWhy = 'ffsplit: exactly half the nodes, and no other half is connected to the QNetd host';
    } else if (preferred !== undefined && winner.nodeids.includes(preferred)) {
      winWhy = `ffsplit 50:50 split: holds the tie_breaker node (${describeTieBreaker(qdevice)} ${preferred})`;
    } else {
      winWhy = 'ffsplit 50:50 split: neither half holds the tie_breaker node; QNetd picked this one';
    }
  }
  return {
    granted: partitions.map((_, i) => i === best),
    why: partitions.map((p, i) => (i === best ? winWhy : whyNot(p, winner !== undefined, 'ffsplit'))),
  };
}

function lmsDecision(qdevice: QdeviceConfig, partitions: readonly QnetdPartition[]): QnetdDecision {
  const connected = partitions.map((p, i) => ({ p, i })).filter(({ p }) => p.reachesQnetd && p.nodeids.length > 0);
  const granted = partitions.map(() => false);
  const why = partitions.map((p) => whyNot(p, false, 'lms'));
  if (connected.length === 1) {
    const only = connected[0]!;
    granted[only.i] = true;
    why[only.i] = 'lms: the only partition that reaches the QNetd host';
    return { granted, why };
  }
  const largest = Math.max(0, ...connected.map(({ p }) => p.nodeids.length));
  const leaders = connected.filter(({ p }) => p.nodeids.length === largest);
  if (leaders.length === 1) {
    const lead = leaders[0]!;
    granted[lead.i] = true;
    why[lead.i] = `lms: the largest partition that reaches the QNetd host (${largest} nodes)`;
    for (const { i } of connected) {
      if (i !== lead.i) {
        why[i] = 'lms: a larger partition reaches the QNetd host';
      }
    }
    return { granted, why };
  }
  // Joint leaders: the partition holding the tie-breaker node wins — lowest/highest among ALL
  // nodes connected to qnetd, even one in a smaller partition (that is what qnetd-algo-lms.c does).
  const allConnected = connected.flatMap(({ p }) => p.nodeids);
  let tb: NodeId | undefined;
  if (qdevice.tieBreaker === 'lowest') {
    tb = minId(allConnected);
  } else if (qdevice.tieBreaker === 'highest') {
    tb = maxId(allConnected);
  } else {
    tb = qdevice.tieBreaker;
  }
  for (const { p, i } of connected) {
    if (tb !== undefined && p.nodeids.includes(tb)) {
      granted[i] = true;
      why[i] = `lms tie: holds the tie_breaker node (${describeTieBreaker(qdevice)} ${tb})`;
    } else {
      why[i] = `lms tie: the tie_breaker node (${describeTieBreaker(qdevice)} ${tb ?? '?'}) is in another partition`;
    }
  }
  return { granted, why };
}

function whyNot(p: QnetdPartition, someoneWon: boolean, algo: string): string {
  if (!p.reachesQnetd) {
    return 'cannot reach the QNetd host';
  }
  return someoneWon
    ? `${algo}: the QNetd vote went to another partition`
    : `${algo}: QNetd gives no vote to a minority partition`;
}

function tieBreakerFromList(qdevice: QdeviceConfig, ids: readonly NodeId[]): NodeId | undefined {
  if (qdevice.tieBreaker === 'lowest') {
    return minId(ids);
  }
  if (qdevice.tieBreaker === 'highest') {
    return maxId(ids);
  }
  return qdevice.tieBreaker;
}

function describeTieBreaker(qdevice: QdeviceConfig): string {
  return typeof qdevice.tieBreaker === 'number' ? 'node id' : `${qdevice.tieBreaker} node id,`;
}

function minId(ids: readonly NodeId[]): NodeId | undefined {
  return ids.length === 0 ? undefined : ids.reduce((a, b) => (b < a ? b : a));
}

function maxId(ids: readonly NodeId[]): NodeId | undefined {
  return ids.length === 0 ? undefined : ids.reduce((a, b) => (b > a ? b : a));
}
