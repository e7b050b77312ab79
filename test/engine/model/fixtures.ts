import { nodeId, type QdeviceConfig, type VotequorumConfig } from '../../../engine/model';

/** A cluster of `votes.length` nodes named pve1…, node ids 1…, with the given votes (default 1 each). */
export function cluster(votes: number[] | number, extra: Partial<VotequorumConfig> = {}): VotequorumConfig {
  const list = typeof votes === 'number' ? Array.from({ length: votes }, () => 1) : votes;
  return {
    nodes: list.map((v, i) => ({ name: `pve${i + 1}`, nodeid: nodeId(i + 1), votes: v })),
    twoNode: false,
    lastManStanding: false,
    lastManStandingWindowMs: 10_000,
    autoTieBreaker: false,
    autoTieBreakerNode: 'lowest',
    ...extra,
  };
}

export function qdevice(algorithm: 'ffsplit' | 'lms', extra: Partial<QdeviceConfig> = {}): QdeviceConfig {
  return {
    model: 'net',
    host: '198.18.0.9',
    algorithm,
    tieBreaker: 'lowest',
    ...(algorithm === 'ffsplit' ? { votes: 1 } : {}),
    ...extra,
  };
}

export const names = (...ids: number[]): string[] => ids.map((i) => `pve${i}`);
