import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../client/rtt';

describe('RttEstimator (RFC 6298)', () => {
  it('knows nothing before a sample, then SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR', () => {
    const e = new RttEstimator(0);
    expect(e.timeout()).toBeUndefined();
    e.sample(100);
    expect(e.smoothed).toBe(100);
    expect(e.timeout()).toBe(300);
  });

  it('smooths later samples (α = 1/8, β = 1/4) and never goes below its floor', () => {
    const e = new RttEstimator(0);
    e.sample(100);
    e.sample(200);
    // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
    expect(e.smoothed).toBe(112.5);
    expect(e.timeout()).toBe(112.5 + 4 * 62.5);
    const floored = new RttEstimator(200);
    floored.sample(1);
    expect(floored.timeout()).toBe(200);
    for (let i = 0; i < 50; i++) floored.sample(1_000);
    expect(floored.timeout()).toBeGreaterThan(1_000);
  });

  it('uses the clock granularity when the variation is smaller', () => {
    const e = new RttEstimator(0, 10);
    for (let i = 0; i < 100; i++) e.sample(50);
    expect(e.timeout()).toBeCloseTo(60, 0);
  });
});
