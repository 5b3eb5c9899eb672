// Descriptive statistics of latency samples (milliseconds). Percentiles use linear interpolation
// between order statistics (the "type 7" definition of R and numpy's default), so p50 of an even
// count is the mean of the two middle values.
import type { LatencyStats } from '../harness/index.ts';

/** The q-quantile (0 <= q <= 1) of ascending-sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no samples');
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

export function median(values: readonly number[]): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function summarize(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  const variance = sorted.length > 1 ? sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (sorted.length - 1) : 0;
  return {
    n: sorted.length,
    mean,
    sd: Math.sqrt(variance),
    min: sorted[0]!,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * At most `limit` values that keep the shape of the distribution: evenly spaced order statistics
 * (both extremes included). Used to keep baseline files small; the statistics downstream only
 * see a smaller sample of the same distribution.
 */
export function thin(samples: readonly number[], limit: number): number[] {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length <= limit) return sorted;
  return Array.from({ length: limit }, (_, i) => quantileSorted(sorted, i / (limit - 1)));
}
