import { describe, expect, it } from 'vitest';
import { clockOffset, createWallClock, estimateClockOffset } from '../../../engine/agent/clock';

describe('clockOffset', () => {
  it.each([
    // agent 5 s ahead, 10 ms each way, agent stamps once
    { s: { t0: 1000, t1: 6010, t2: 6010, t3: 1020 }, offset: 5000, delay: 20 },
    // agent 5 s behind
    { s: { t0: 10_000, t1: 5010, t2: 5010, t3: 10_020 }, offset: -5000, delay: 20 },
    // asymmetric path: 30 ms out, 10 ms back → offset error is half the asymmetry
    { s: { t0: 0, t1: 30, t2: 30, t3: 40 }, offset: 10, delay: 40 },
    // agent processing time is excluded from the delay
    { s: { t0: 0, t1: 10, t2: 15, t3: 25 }, offset: 0, delay: 20 },
  ])('offset $offset ms, delay $delay ms', ({ s, offset, delay }) => {
    const e = clockOffset(s);
    expect(e.offsetMs).toBeCloseTo(offset, 9);
    expect(e.delayMs).toBeCloseTo(delay, 9);
    expect(e.errorBoundMs).toBeCloseTo(delay / 2, 9);
  });

  it('picks the exchange with the smallest round trip', () => {
    const best = estimateClockOffset([
      { t0: 0, t1: 5080, t2: 5080, t3: 100 }, // queued: 100 ms round trip
      { t0: 200, t1: 5202, t2: 5202, t3: 204 }, // 4 ms round trip
      { t0: 300, t1: 5340, t2: 5340, t3: 350 },
    ]);
    expect(best?.offsetMs).toBe(5000);
    expect(best?.delayMs).toBe(4);
    expect(estimateClockOffset([])).toBeNull();
  });
});

describe('createWallClock', () => {
  it('interpolates between wall-clock ticks with the monotonic timer', () => {
    let wall = 1000;
    let hr = 0n;
    const clock = createWallClock(
      () => wall,
      () => hr,
    );
    hr = 500_000n; // 0.5 ms later, Date.now() has not ticked
    expect(clock()).toBeCloseTo(1000.5, 9);
    wall = 1001;
    hr = 1_250_000n;
    expect(clock()).toBeCloseTo(1001.25, 9);
  });

  it('follows a stepped wall clock instead of drifting away from it', () => {
    let wall = 1000;
    let hr = 0n;
    const clock = createWallClock(
      () => wall,
      () => hr,
    );
    wall = 6000; // stepped 5 s forward
    hr = 1_000_000n;
    expect(clock()).toBe(6000);
    hr = 1_500_000n;
    expect(clock()).toBeCloseTo(6000.5, 9);
  });
});
