import { describe, expect, it } from 'vitest';
import { decodeProbe, encodeProbe, summariseRtts } from '../../../engine/agent/probe-stats';

describe('summariseRtts', () => {
  it('reports min/avg/max, jitter as the mean absolute consecutive difference, and loss', () => {
    const s = summariseRtts(5, [1, 3, 2, 6]);
    expect(s).toMatchObject({ sent: 5, received: 4, lossPercent: 20, rttMinMs: 1, rttMaxMs: 6 });
    expect(s.rttAvgMs).toBeCloseTo(3, 9);
    expect(s.jitterMs).toBeCloseTo((2 + 1 + 4) / 3, 9);
  });

  it('gives 100 % loss and null figures when nothing came back', () => {
    expect(summariseRtts(10, [])).toEqual({
      sent: 10,
      received: 0,
      lossPercent: 100,
      rttMinMs: null,
      rttAvgMs: null,
      rttMaxMs: null,
      jitterMs: null,
    });
  });

  it('gives zero jitter for a single reply', () => {
    expect(summariseRtts(1, [0.4])).toMatchObject({ lossPercent: 0, jitterMs: 0, rttAvgMs: 0.4 });
  });
});

describe('probe datagrams', () => {
  it('round-trip through encode/decode and ignore foreign datagrams', () => {
    expect(decodeProbe(encodeProbe(7, 123.456))).toEqual({ seq: 7, sentAtMs: 123.456 });
    expect(decodeProbe('hello')).toBeNull();
    expect(decodeProbe('QRTP1 x 1')).toBeNull();
  });
});
