/**
 * The window / tab title: the clusters' state at a glance, worst first, so a tab in the background
 * (or the task bar) says "NOT quorate" without being looked at. Pure.
 */
import type { ClusterSummary } from '../../../engine/api/contract';
import type { HealthState } from '../../../engine/api/contract';

const WORDS: Record<HealthState, string> = {
  inquorate: 'NOT quorate',
  unknown: 'no answer',
  degraded: 'degraded',
  quorate: 'quorate',
};
const RANK: Record<HealthState, number> = { inquorate: 3, unknown: 2, degraded: 1, quorate: 0 };

export function tabTitle(clusters: readonly Pick<ClusterSummary, 'name' | 'state'>[]): string {
  if (clusters.length === 0) {
    return 'Quorate';
  }
  const worst = [...clusters].sort((a, b) => RANK[b.state] - RANK[a.state] || a.name.localeCompare(b.name))[0]!;
  const mark = worst.state === 'inquorate' ? '⚠ ' : '';
  const others = clusters.length > 1 ? ` (+${clusters.length - 1})` : '';
  return `${mark}${worst.name}: ${WORDS[worst.state]}${others} — Quorate`;
}
