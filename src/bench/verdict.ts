// The regression verdict: is `current` slower than `baseline` by at least the threshold, beyond
// what noise explains? Two independent pieces of evidence must agree before a run fails:
//
//  1. Mann-Whitney U, one-sided, p < alpha: current timings tend to be larger (rank-based, so a
//     few descheduling spikes cannot create or hide a difference).
//  2. The bootstrap confidence interval of median(current) / median(baseline) lies entirely at or
//     above 1 + threshold: with that confidence the slowdown is at least the threshold, not just
//     "some slowdown". This is what keeps a shared runner quiet: with thousands of samples, U
//     declares a 2% load shift highly significant, but a 2% shift never clears a 10% bar.
//
// A point estimate past the threshold without that confidence is reported as "inconclusive"
// (shown, never failing); a significant speed-up past the threshold as "faster".
import type { LatencyComparison } from '../harness/index.ts';
import { bootstrapMedianRatio } from './bootstrap.ts';
import { mannWhitneyU } from './mann-whitney.ts';

export type Verdict = LatencyComparison['verdict'];

export interface GateOptions {
  /** The smallest slowdown that fails, as a fraction (0.10 = 10%). */
  readonly threshold: number;
  /** Significance level of the U test, default 0.05. */
  readonly alpha?: number;
  /** Confidence of the median-ratio interval, default 0.95. */
  readonly confidence?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

/** See `LatencyComparison` (the report's contract). */
export type Comparison = LatencyComparison;

export function compareSamples(current: readonly number[], baseline: readonly number[], options: GateOptions): Comparison {
  const alpha = options.alpha ?? 0.05;
  const interval = bootstrapMedianRatio(current, baseline, {
    confidence: options.confidence ?? 0.95,
    ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const u = mannWhitneyU(current, baseline);
  const limit = 1 + options.threshold;
  let verdict: Verdict = 'unchanged';
  if (u.pGreater < alpha && interval.low >= limit) verdict = 'regression';
  else if (interval.ratio >= limit) verdict = 'inconclusive';
  // Symmetric in ratio space: 1 / 1.1 is as far below 1 as 1.1 is above.
  else if (u.pLess < alpha && interval.high <= 1 / limit) verdict = 'faster';
  return { ...interval, pSlower: u.pGreater, pFaster: u.pLess, verdict, threshold: options.threshold, alpha };
}

/** "1.25x [1.21, 1.29], p 3.1e-40: regression": one line for logs and tables. */
export function describeComparison(c: Comparison): string {
  const p = c.pSlower < 1e-3 ? c.pSlower.toExponential(1) : c.pSlower.toFixed(3);
  return `${c.ratio.toFixed(3)}x [${c.low.toFixed(3)}, ${c.high.toFixed(3)}], p(slower) ${p}: ${c.verdict}`;
}
