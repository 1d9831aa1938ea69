import {
  LATENCY_BUCKET_BOUNDS_MS,
  latencyBucket,
  LatencyHistogram,
  latencyQuantile,
  mergeLatencies,
} from './latency-histogram';

describe('latency histogram', () => {
  it('has buckets from 1 ms to an hour, each 10% wider than the one before (past rounding)', () => {
    expect(LATENCY_BUCKET_BOUNDS_MS[0]).toBe(1);
    expect(LATENCY_BUCKET_BOUNDS_MS.at(-1)).toBe(3_600_000);
    const from = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => bound >= 100);
    for (let i = from; i < LATENCY_BUCKET_BOUNDS_MS.length - 1; i++) {
      expect(LATENCY_BUCKET_BOUNDS_MS[i] / LATENCY_BUCKET_BOUNDS_MS[i - 1]).toBeLessThanOrEqual(
        1.11,
      );
    }
  });

  it('puts a latency in the smallest bucket that holds it; past an hour in the last', () => {
    expect(latencyBucket(0)).toBe(1);
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(1.2)).toBe(2);
    const bucket = latencyBucket(250);
    expect(bucket).toBeGreaterThanOrEqual(250);
    expect(bucket).toBeLessThan(275);
    expect(latencyBucket(10 * 3_600_000)).toBe(3_600_000);
  });

  it('reads percentiles within 10% of the exact ones', () => {
    const exact = Array.from({ length: 1000 }, (_, i) => 20 + i * 0.7);
    const histogram: LatencyHistogram = new Map();
    for (const ms of exact) {
      const bound = latencyBucket(ms);
      histogram.set(bound, (histogram.get(bound) ?? 0) + 1);
    }
    for (const q of [0.5, 0.95, 0.99]) {
      const truth = exact[Math.ceil(q * exact.length) - 1];
      const read = latencyQuantile(histogram, q)!;
      expect(Math.abs(read - truth) / truth).toBeLessThan(0.1);
    }
  });

  it('adds histograms up (days, owners), and reads nothing from an empty one', () => {
    const a: LatencyHistogram = new Map([[latencyBucket(100), 3]]);
    mergeLatencies(
      a,
      new Map([
        [latencyBucket(100), 1],
        [latencyBucket(900), 4],
      ]),
    );
    expect([...a.values()]).toEqual([4, 4]);
    expect(latencyQuantile(a, 0.99)).toBeGreaterThan(800);
    expect(latencyQuantile(new Map(), 0.5)).toBeNull();
  });
});
