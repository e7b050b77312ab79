/** UDP probe round trips → the figures `probe.measure` reports. Pure, table-tested. */
import type { ProbeStats } from './protocol';

/**
 * Summarise `sent` probes, given the RTT (ms) of each that came back, in send order.
 * Jitter is the mean absolute difference of consecutive RTTs (RFC 3550's idea, unsmoothed); a single
 * reply gives jitter 0, none gives null figures and 100 % loss.
 */
export function summariseRtts(sent: number, rttsMs: readonly number[]): ProbeStats {
  const received = Math.min(rttsMs.length, sent);
  const lossPercent = sent <= 0 ? 100 : Math.max(0, Math.min(100, ((sent - received) / sent) * 100));
  if (rttsMs.length === 0) {
    return { sent, received: 0, lossPercent, rttMinMs: null, rttAvgMs: null, rttMaxMs: null, jitterMs: null };
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let diffs = 0;
  rttsMs.forEach((r, i) => {
    min = Math.min(min, r);
    max = Math.max(max, r);
    sum += r;
    if (i > 0) {
      diffs += Math.abs(r - rttsMs[i - 1]!);
    }
  });
  return {
    sent,
    received,
    lossPercent,
    rttMinMs: min,
    rttAvgMs: sum / rttsMs.length,
    rttMaxMs: max,
    jitterMs: rttsMs.length > 1 ? diffs / (rttsMs.length - 1) : 0,
  };
}

/** Probe datagram: magic, sequence number, and a send stamp the responder echoes back untouched. */
export const PROBE_MAGIC = 'QRTP1';

export function encodeProbe(seq: number, sentAtMs: number): string {
  return `${PROBE_MAGIC} ${seq} ${sentAtMs}`;
}

/** Parse a probe (or its echo); null for anything else, which the responder ignores. */
export function decodeProbe(text: string): { seq: number; sentAtMs: number } | null {
  const m = /^QRTP1 (\d+) (\d+(?:\.\d+)?)$/.exec(text);
  if (!m) {
    return null;
  }
  return { seq: Number(m[1]), sentAtMs: Number(m[2]) };
}
