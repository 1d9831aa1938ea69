/**
 * Latencies kept as counts per bucket, so that days and owners add up and percentiles can be
 * read from the sums. Buckets grow by 10% (a percentile is read within 10%), from 1 ms to an
 * hour; a longer latency lands in the last bucket. hdr-histogram-js reads the same way but
 * keeps its counts in one encoded blob, which concurrent transactions cannot increment in SQL.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = 1; bound < 3_600_000; bound *= 1.1) {
    const rounded = Math.round(bound);
    if (rounded !== bounds.at(-1)) bounds.push(rounded);
  }
  return [...bounds, 3_600_000];
})();

/** Count per bucket, keyed by the bucket's upper bound in ms. */
export type LatencyHistogram = Map<number, number>;

/** The upper bound of the bucket `ms` falls in. */
export function latencyBucket(ms: number): number {
  const bounds = LATENCY_BUCKET_BOUNDS_MS;
  let low = 0;
  let high = bounds.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (bounds[mid] >= ms) high = mid;
    else low = mid + 1;
  }
  return bounds[low];
}

/**
 * The latency under which a fraction `q` of the counted ones fall, interpolated linearly
 * inside its bucket (as Prometheus' histogram_quantile does); null when nothing was counted.
 */
export function latencyQuantile(histogram: LatencyHistogram, q: number): number | null {
  const buckets = [...histogram.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (const [bound, count] of buckets) {
    if (below + count >= rank) {
      const index = LATENCY_BUCKET_BOUNDS_MS.indexOf(bound);
      const lower = index > 0 ? LATENCY_BUCKET_BOUNDS_MS[index - 1] : 0;
      return lower + (bound - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return buckets.at(-1)![0];
}

/** Adds `from` into `into`. */
export function mergeLatencies(into: LatencyHistogram, from: LatencyHistogram): void {
  for (const [bound, count] of from) into.set(bound, (into.get(bound) ?? 0) + count);
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** p50, p95 and p99 of a histogram, in ms to one decimal; null when nothing was counted. */
export function latencyPercentiles(histogram: LatencyHistogram): LatencyPercentiles {
  const read = (q: number) => {
    const ms = latencyQuantile(histogram, q);
    return ms === null ? null : Math.round(ms * 10) / 10;
  };
  return { p50: read(0.5), p95: read(0.95), p99: read(0.99) };
}
