/** Turning raw probe round trips into a `LinkMeasurement`: pure, so the arithmetic is table-tested. */
import type { LinkNumber } from '../model/cluster';
import type { LinkMeasurement } from './types';

/**
 * Summarise `sent` probes of which `rttsMs` came back (in send order).
 * Jitter is the mean absolute difference of consecutive RTTs (RFC 3550's idea, unsmoothed).
 */
export function summariseProbe(from: string, to: string, link: LinkNumber, sent: number, rttsMs: readonly number[]): LinkMeasurement {
  if (sent <= 0 || rttsMs.length === 0) {
    return { from, to, link, udpReachable: false, rttAvgMs: Number.NaN, jitterMs: Number.NaN, lossPercent: 100 };
  }
  const avg = rttsMs.reduce((a, b) => a + b, 0) / rttsMs.length;
  let diffs = 0;
  for (let i = 1; i < rttsMs.length; i++) diffs += Math.abs(rttsMs[i]! - rttsMs[i - 1]!);
  const jitter = rttsMs.length > 1 ? diffs / (rttsMs.length - 1) : 0;
  const loss = Math.max(0, Math.min(100, ((sent - rttsMs.length) / sent) * 100));
  return { from, to, link, udpReachable: true, rttAvgMs: avg, jitterMs: jitter, lossPercent: loss };
}
