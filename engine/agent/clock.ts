/**
 * Clock offset measurement, NTP style (RFC 5905 §8): the client stamps t0 (send) and t3 (receive)
 * with its clock, the agent stamps t1 (receive) and t2 (send) with its own. Pure arithmetic here, so
 * it is table-tested; the agent's `clock` method returns one stamp (t1 = t2).
 */

export interface ClockSample {
  /** Client clock when the request left, ms. */
  readonly t0: number;
  /** Agent clock when the request arrived, ms. */
  readonly t1: number;
  /** Agent clock when the reply left, ms (= t1 when the agent stamps once). */
  readonly t2: number;
  /** Client clock when the reply arrived, ms. */
  readonly t3: number;
}

export interface ClockEstimate {
  /** Agent clock minus client clock, ms: positive when the agent is ahead. */
  readonly offsetMs: number;
  /** Round trip spent on the wire (agent processing excluded), ms. */
  readonly delayMs: number;
  /** Worst-case error of `offsetMs`: half the round trip, ms. */
  readonly errorBoundMs: number;
}

/** Offset and delay of one exchange: θ = ((t1 − t0) + (t2 − t3)) / 2, δ = (t3 − t0) − (t2 − t1). */
export function clockOffset(s: ClockSample): ClockEstimate {
  const offsetMs = (s.t1 - s.t0 + (s.t2 - s.t3)) / 2;
  const delayMs = Math.max(0, s.t3 - s.t0 - (s.t2 - s.t1));
  return { offsetMs, delayMs, errorBoundMs: delayMs / 2 };
}

/**
 * Best estimate from several exchanges: the one with the smallest round trip (NTP's clock filter:
 * queueing delay only ever adds error). Null for no samples.
 */
export function estimateClockOffset(samples: readonly ClockSample[]): ClockEstimate | null {
  let best: ClockEstimate | null = null;
  for (const s of samples) {
    const e = clockOffset(s);
    if (best === null || e.delayMs < best.delayMs) {
      best = e;
    }
  }
  return best;
}

/**
 * A wall clock with sub-millisecond resolution: `Date.now()` anchored to the monotonic high-resolution
 * timer, re-anchored when the two drift apart by more than 2 ms (the wall clock was stepped).
 */
export function createWallClock(
  dateNow: () => number = Date.now,
  hrNowNs: () => bigint = () => process.hrtime.bigint(),
): () => number {
  let anchorWall = dateNow();
  let anchorHr = hrNowNs();
  return () => {
    const estimate = anchorWall + Number(hrNowNs() - anchorHr) / 1e6;
    const coarse = dateNow();
    if (Math.abs(estimate - coarse) > 2) {
      anchorWall = coarse;
      anchorHr = hrNowNs();
      return coarse;
    }
    return estimate;
  };
}
