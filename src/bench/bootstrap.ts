// A bootstrap confidence interval for the ratio of two medians. The median is the robust centre
// of a latency distribution (the mean is dragged by descheduling spikes), and a ratio is the
// natural unit of a slowdown ("12% slower" = 1.12). The median's sampling distribution has no
// convenient closed form for skewed, tied data, so it is estimated by resampling: draw each
// sample again with replacement, take the ratio of the resampled medians, repeat, and read the
// interval off the percentiles of those ratios.
import { seededUniform } from './random.ts';
import { quantileSorted } from './summary.ts';

export interface RatioInterval {
  /** median(numerator) / median(denominator) of the samples themselves. */
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
}

export interface BootstrapOptions {
  readonly resamples?: number;
  /** Two-sided confidence level, default 0.95. */
  readonly confidence?: number;
  /** Seed of the resampling generator: the same samples always give the same interval. */
  readonly seed?: number;
}

export function bootstrapMedianRatio(numerator: readonly number[], denominator: readonly number[], options: BootstrapOptions = {}): RatioInterval {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (numerator.length === 0 || denominator.length === 0) throw new RangeError('bootstrap of an empty sample');
  const uniform = seededUniform(options.seed ?? 0x5eed);
  const top = Float64Array.from(numerator);
  const bottom = Float64Array.from(denominator);
  const scratchTop = new Float64Array(top.length);
  const scratchBottom = new Float64Array(bottom.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    ratios[r] = resampledMedian(top, scratchTop, uniform) / resampledMedian(bottom, scratchBottom, uniform);
  }
  ratios.sort();
  const tail = (1 - confidence) / 2;
  return {
    ratio: medianOf(Float64Array.from(numerator).sort()) / medianOf(Float64Array.from(denominator).sort()),
    low: quantileSorted(ratios, tail),
    high: quantileSorted(ratios, 1 - tail),
    confidence,
  };
}

function medianOf(sorted: Float64Array): number {
  return quantileSorted(sorted, 0.5);
}

/** Fills `scratch` with a resample of `values` (with replacement) and returns its median. */
function resampledMedian(values: Float64Array, scratch: Float64Array, uniform: () => number): number {
  const n = values.length;
  for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(uniform() * n)]!;
  // The median needs the middle order statistic(s), not a full sort: select them in O(n).
  const upper = select(scratch, n >> 1);
  if (n % 2 === 1) return upper;
  // After selection everything left of n/2 is <= upper: the lower middle value is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (scratch[i]! > lower) lower = scratch[i]!;
  return (lower + upper) / 2;
}

/** Hoare's quickselect: reorders `a` so that a[k] is the k-th smallest (0-based) and returns it. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (left < right) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const swap = a[i]!;
        a[i] = a[j]!;
        a[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k]!;
}
