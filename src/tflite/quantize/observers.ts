// Calibration observers: how a tensor's int8 range is chosen from the values it took on the
// representative data. Each one reads a histogram of the tensor's finite values over their
// observed [min, max] (HISTOGRAM_BINS bins, values stood in for by their bin's centre):
// - min-max: the observed extremes; never clips, coarsest step.
// - percentile: the 0.01% and 99.99% quantiles; clips the outermost 0.02% of the values.
// - mse: the range whose int8 rounding plus clipping error (squared, over the histogram) is least.
// - entropy: the range whose int8 histogram is closest to the float one (KL divergence, TensorRT's
//   criterion applied to both ends of an asymmetric range).
// The search of mse and entropy narrows the range one end at a time, taking whichever end lowers
// the cost more (PyTorch's HistogramObserver searches the same way), and keeps the best range seen.
import { isRangeSentinel, type Range } from './params.ts';

export const OBSERVERS = ['min-max', 'percentile', 'mse', 'entropy'] as const;
export type Observer = (typeof OBSERVERS)[number];
/** Chosen by measured int8 error over the goldens: docs/quantization.md. */
export const DEFAULT_OBSERVER: Observer = 'min-max';

export const HISTOGRAM_BINS = 2048;
const LEVELS = 255;
const PERCENTILE = 0.9999;

/** Counts of a tensor's finite values in HISTOGRAM_BINS equal bins over `range`. */
export class Histogram {
  readonly counts = new Float64Array(HISTOGRAM_BINS);
  constructor(readonly range: Range) {}

  add(values: ArrayLike<number>): void {
    const [lo, hi] = this.range;
    const scale = hi > lo ? HISTOGRAM_BINS / (hi - lo) : 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || isRangeSentinel(v)) continue;
      this.counts[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v - lo) * scale)))]! += 1;
    }
  }

  get width(): number {
    return (this.range[1] - this.range[0]) / HISTOGRAM_BINS;
  }

  /** The value at the left edge of bin `i` (i = HISTOGRAM_BINS: the right end). */
  edge(i: number): number {
    return i === HISTOGRAM_BINS ? this.range[1] : this.range[0] + i * this.width;
  }
}

/** The range `observer` picks for a histogram (min-max needs none: it is the histogram's range). */
export function chooseRange(observer: Observer, histogram: Histogram): Range {
  const [lo, hi] = histogram.range;
  if (observer === 'min-max' || !(hi > lo)) return histogram.range;
  if (observer === 'percentile') return percentileRange(histogram, PERCENTILE);
  return searchRange(histogram, observer === 'mse' ? mseCost(histogram) : klCost(histogram));
}

function percentileRange(h: Histogram, p: number): Range {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const tail = total * (1 - p);
  let below = 0;
  let left = 0;
  while (left < HISTOGRAM_BINS - 1 && below + h.counts[left]! <= tail) below += h.counts[left++]!;
  let above = 0;
  let right = HISTOGRAM_BINS;
  while (right > left + 1 && above + h.counts[right - 1]! <= tail) above += h.counts[--right]!;
  return [h.edge(left), h.edge(right)];
}

/** Cost of quantizing to the bins [left, right) (right exclusive), lower is better. */
type Cost = (left: number, right: number) => number;

function searchRange(h: Histogram, cost: Cost): Range {
  // Steps of 1/256 of the histogram; never narrower than 1/8 of it (LEVELS levels over at least
  // 256 bins keep each level wider than one bin).
  const step = HISTOGRAM_BINS / 256;
  const minBins = HISTOGRAM_BINS / 8;
  let left = 0;
  let right = HISTOGRAM_BINS;
  let best = { left, right, cost: cost(left, right) };
  while (right - left - step >= minBins) {
    const dropLeft = cost(left + step, right);
    const dropRight = cost(left, right - step);
    if (dropLeft <= dropRight) left += step;
    else right -= step;
    const current = Math.min(dropLeft, dropRight);
    if (current < best.cost) best = { left, right, cost: current };
  }
  return [h.edge(best.left), h.edge(best.right)];
}

/**
 * Expected squared error of int8 with the range [edge(left), edge(right)] widened to contain 0
 * (as asymmetricInt8 does): step^2 / 12 for every value inside, the squared distance to the nearer
 * end for every value outside. Prefix sums make each evaluation O(1).
 */
function mseCost(h: Histogram): Cost {
  const n = HISTOGRAM_BINS;
  const count = new Float64Array(n + 1);
  const sum = new Float64Array(n + 1);
  const squares = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const x = h.edge(i) + h.width / 2;
    count[i + 1] = count[i]! + h.counts[i]!;
    sum[i + 1] = sum[i]! + h.counts[i]! * x;
    squares[i + 1] = squares[i]! + h.counts[i]! * x * x;
  }
  // Sum over bins [i, j) of count * (x - a)^2.
  const spread = (i: number, j: number, a: number) => squares[j]! - squares[i]! - 2 * a * (sum[j]! - sum[i]!) + a * a * (count[j]! - count[i]!);
  return (left, right) => {
    const lo = Math.min(h.edge(left), 0);
    const hi = Math.max(h.edge(right), 0);
    const step = (hi - lo) / LEVELS;
    const inside = (count[right]! - count[left]!) * ((step * step) / 12);
    return inside + spread(0, left, h.edge(left)) + spread(right, n, h.edge(right));
  };
}

/**
 * KL(P || Q), TensorRT's entropy calibration: P is the histogram of bins [left, right) with the
 * clipped values piled into its end bins; Q is int8's view of the same bins without them: each of
 * the LEVELS levels spreads its total evenly over its bins that held values. The clipped mass is
 * missing from Q, which is what makes clipping cost something. The bin holding 0 keeps its own
 * count in Q: int8 represents 0 exactly (asymmetricInt8), and spreading a ReLU's spike of zeros
 * over its level would make every wide range look bad.
 */
function klCost(h: Histogram): Cost {
  const zeroBin = h.range[0] <= 0 && h.range[1] >= 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor(-h.range[0] / h.width)) : -1;
  return (left, right) => {
    const bins = right - left;
    const inner = h.counts.slice(left, right);
    const p = inner.slice();
    for (let i = 0; i < left; i++) p[0]! += h.counts[i]!;
    for (let i = right; i < HISTOGRAM_BINS; i++) p[bins - 1]! += h.counts[i]!;
    const q = new Float64Array(bins);
    const perLevel = bins / LEVELS;
    for (let level = 0; level < LEVELS; level++) {
      const start = Math.floor(level * perLevel);
      const end = level === LEVELS - 1 ? bins : Math.floor((level + 1) * perLevel);
      let total = 0;
      let used = 0;
      for (let i = start; i < end; i++) {
        if (i + left === zeroBin) q[i] = inner[i]!;
        else if (inner[i]! > 0) {
          total += inner[i]!;
          used++;
        }
      }
      for (let i = start; i < end; i++) if (inner[i]! > 0 && i + left !== zeroBin) q[i] = total / used;
    }
    const pTotal = p.reduce((a, b) => a + b, 0);
    const qTotal = q.reduce((a, b) => a + b, 0);
    // A bin P holds only clipped values in has no mass in Q: a tiny one keeps the cost finite and large.
    const floor = 1e-9;
    let kl = 0;
    for (let i = 0; i < bins; i++) if (p[i]! > 0) kl += (p[i]! / pTotal) * Math.log(p[i]! / pTotal / Math.max(q[i]! / qTotal, floor));
    return kl;
  };
}
