/** Turning raw probe round trips into a `LinkMeasurement`: pure, so the arithmetic is table-tested. */
import type { LinkNumber } from '../model/cluster';
import type { LinkMeasurement } from './types';

/**
 * Summarise `sent` probes of which `rttsMs` came back (in send order).
 * The average drops the slowest tenth of the replies: on a busy machine the probing processes
 * themselves get descheduled now and then, and one 30 ms stall must not read as a 5 ms network.
 * Jitter is the mean absolute difference of consecutive RTTs (RFC 3550's idea, unsmoothed).
 */
export function summariseProbe(
  from: string,
  to: string,
  link: LinkNumber,
  sent: number,
  rttsMs: readonly number[],
): LinkMeasurement {
  if (sent <= 0 || rttsMs.length === 0) {
    return { from, to, link, udpReachable: false, rttAvgMs: Number.NaN, jitterMs: Number.NaN, lossPercent: 100 };
  }
  const keep = Math.max(1, Math.ceil(rttsMs.length * 0.9));
  const cutoff = [...rttsMs].sort((a, b) => a - b)[keep - 1]!;
  // The kept samples in send order (ties at the cutoff kept up to `keep`).
  const kept: number[] = [];
  for (const r of rttsMs) {
    if (r <= cutoff && kept.length < keep) {
      kept.push(r);
    }
  }
  const avg = kept.reduce((a, b) => a + b, 0) / kept.length;
  let diffs = 0;
  for (let i = 1; i < kept.length; i++) {
    diffs += Math.abs(kept[i]! - kept[i - 1]!);
  }
  const jitter = kept.length > 1 ? diffs / (kept.length - 1) : 0;
  const loss = Math.max(0, Math.min(100, ((sent - rttsMs.length) / sent) * 100));
  return { from, to, link, udpReachable: true, rttAvgMs: avg, jitterMs: jitter, lossPercent: loss };
}
