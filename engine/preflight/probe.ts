/** Turning raw probe round trips into a `LinkMeasurement`: pure, so the arithmetic is table-tested. */
import type { LinkNumber } from '../model/cluster';
import type { LinkMeasurement } from './types';

/**
 * Summarise `sent` probes of which `rttsMs` came back (in send order).
 * The average drops the slowest tenth of the replies: on a busy machine the probing processes
 * themselves get descheduled now and then, and one 30 ms stall must not read as a 5 ms network.
 * Jitter is the mean absolute difference of consecutive RTTs (RFC 3550's idea, unsmoothed).
 */
export function summariseProbe(from: string, to: string, link: LinkNumber, sent: number, rttsMs: readonly number[]): LinkMeasurement {
  if (sent <= 0 || rttsMs.length === 0) {
    return { from, to, link, udpReachable: false, rttAvgMs: Number.NaN, jitterMs: Number.NaN, lossPercent: 100 };
  }
  const kept = [...rttsMs].sort((a, b) => a - b).slice(0, Math.max(1, Math.ceil(rttsMs.length * 0.9)));
  const avg = kept.reduce((a, b) => a + b, 0) / kept.length;
  let diffs = 0;
  for (let i = 1; i < rttsMs.length; i++) diffs += Math.abs(rttsMs[i]! - rttsMs[i - 1]!);
  const jitter = rttsMs.length > 1 ? diffs / (rttsMs.length - 1) : 0;
  const loss = Math.max(0, Math.min(100, ((sent - rttsMs.length) / sent) * 100));
  return { from, to, link, udpReachable: true, rttAvgMs: avg, jitterMs: jitter, lossPercent: loss };
}
