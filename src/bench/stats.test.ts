// The statistics of the latency gate, on deterministic synthetic samples: nothing here measures time.
import { describe, expect, it } from 'vitest';
import { bootstrapMedianRatio } from './bootstrap.ts';
import { erfc, mannWhitneyU, normalUpperTail } from './mann-whitney.ts';
import { seededNormal, seededUniform } from './random.ts';
import { median, quantileSorted, summarize, thin } from './summary.ts';
import { compareSamples, describeComparison } from './verdict.ts';

/**
 * A synthetic latency run: `base` ms with multiplicative log-normal noise of relative size
 * `noise`, occasional descheduling spikes (3% of runs, up to 4x), and a run-level load factor
 * (the whole run a little faster or slower, as on a shared machine).
 */
function simulateRun(seed: number, options: { n: number; base: number; noise: number; loadShift?: number; spikes?: number }): number[] {
  const uniform = seededUniform(seed);
  const normal = seededNormal(uniform);
  const load = Math.exp((options.loadShift ?? 0.02) * normal());
  return Array.from({ length: options.n }, () => {
    const spike = uniform() < (options.spikes ?? 0.03) ? 1 + 3 * uniform() : 1;
    return options.base * load * Math.exp(options.noise * normal()) * spike;
  });
}

describe('summary statistics', () => {
  it('computes percentiles by linear interpolation, the sample standard deviation and the count', () => {
    const stats = summarize([4, 1, 3, 2, 5, 6, 7, 8, 9, 10]);
    expect(stats).toMatchObject({ n: 10, mean: 5.5, min: 1, max: 10, p50: 5.5 });
    expect(stats.p90).toBeCloseTo(9.1, 12);
    expect(stats.p99).toBeCloseTo(9.91, 12);
    expect(stats.sd).toBeCloseTo(Math.sqrt(82.5 / 9), 12);
    expect(summarize([3])).toMatchObject({ n: 1, sd: 0, p50: 3, p99: 3 });
    expect(quantileSorted([1, 2], 0.5)).toBe(1.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('thins to evenly spaced order statistics, keeping both extremes', () => {
    const values = Array.from({ length: 1001 }, (_, i) => 1000 - i);
    const thinned = thin(values, 11);
    expect(thinned).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(thin([3, 1, 2], 10)).toEqual([1, 2, 3]);
  });
});

describe('Mann-Whitney U', () => {
  it('matches a hand computation without ties', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    // mean 4.5, variance 3*3/12*7 = 5.25, continuity-corrected z = -(4.5 - 0.5)/sqrt(5.25)
    expect(r.z).toBeCloseTo(-4 / Math.sqrt(5.25), 10);
    expect(r.pLess).toBeCloseTo(normalUpperTail(4 / Math.sqrt(5.25)), 10);
    expect(r.pLess).toBeCloseTo(0.0404, 3);
    expect(r.pGreater).toBeGreaterThan(0.95);
  });

  it('uses midranks and the tie-corrected variance', () => {
    // Pooled: 1(a) 2(a) 2(a) 2(b) 3(b) 3(b); the 2s share rank 3, the 3s rank 5.5.
    const r = mannWhitneyU([1, 2, 2], [2, 3, 3]);
    expect(r.u).toBe(1); // rank sum 7 - 3*4/2
    expect(mannWhitneyU([2, 3, 3], [1, 2, 2]).u).toBe(8); // U_a + U_b = n1 n2
    // variance 9/12 * (7 - (24 + 6) / 30) = 4.5
    expect(r.z).toBeCloseTo(-(3.5 - 0.5) / Math.sqrt(4.5), 10);
  });

  it('reports no evidence when every value is tied', () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1])).toMatchObject({ z: 0, pGreater: 0.5, pLess: 0.5, pTwoSided: 1 });
  });

  it('has an accurate normal tail, including far out', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.959963985)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(-1.644853627)).toBeCloseTo(0.95, 6);
    expect(normalUpperTail(6) / 9.865876450377e-10).toBeCloseTo(1, 5);
    expect(erfc(0.5)).toBeCloseTo(0.4795001222, 6);
  });

  it('is calibrated: on identical distributions p < 0.05 about 5% of the time', () => {
    let rejections = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const a = simulateRun(2 * t, { n: 60, base: 5, noise: 0.1, loadShift: 0 });
      const b = simulateRun(2 * t + 1, { n: 60, base: 5, noise: 0.1, loadShift: 0 });
      if (mannWhitneyU(a, b).pGreater < 0.05) rejections++;
    }
    expect(rejections / trials).toBeGreaterThan(0.02);
    expect(rejections / trials).toBeLessThan(0.09);
  });
});

describe('bootstrap interval of the median ratio', () => {
  it('is deterministic for a seed and brackets the observed ratio', () => {
    const a = simulateRun(1, { n: 200, base: 12, noise: 0.1 });
    const b = simulateRun(2, { n: 200, base: 10, noise: 0.1 });
    const first = bootstrapMedianRatio(a, b, { seed: 7 });
    expect(bootstrapMedianRatio(a, b, { seed: 7 })).toEqual(first);
    expect(first.ratio).toBeCloseTo(median(a) / median(b), 12);
    expect(first.low).toBeLessThan(first.ratio);
    expect(first.high).toBeGreaterThan(first.ratio);
  });

  it('covers the true ratio about 95% of the time', () => {
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const a = simulateRun(1000 + 2 * t, { n: 80, base: 13, noise: 0.15, loadShift: 0, spikes: 0 });
      const b = simulateRun(1001 + 2 * t, { n: 80, base: 10, noise: 0.15, loadShift: 0, spikes: 0 });
      const ci = bootstrapMedianRatio(a, b, { resamples: 500, seed: t });
      if (ci.low <= 1.3 && 1.3 <= ci.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThanOrEqual(0.99);
  });
});

describe('the regression verdict', () => {
  const gate = { threshold: 0.1, resamples: 1000 };

  it('flags a clear regression', () => {
    const baseline = simulateRun(11, { n: 200, base: 10, noise: 0.05 });
    const current = simulateRun(12, { n: 200, base: 13, noise: 0.05 });
    const c = compareSamples(current, baseline, gate);
    expect(c.verdict).toBe('regression');
    expect(c.pSlower).toBeLessThan(1e-6);
    expect(c.low).toBeGreaterThan(1.1);
    expect(describeComparison(c)).toMatch(/^1\.\d{3}x \[1\.\d{3}, 1\.\d{3}\], p\(slower\) .*: regression$/);
  });

  it('does not flag a clear non-regression, and calls a large speed-up faster', () => {
    const baseline = simulateRun(21, { n: 200, base: 10, noise: 0.05 });
    expect(compareSamples(simulateRun(22, { n: 200, base: 10, noise: 0.05 }), baseline, gate).verdict).toBe('unchanged');
    expect(compareSamples(simulateRun(23, { n: 200, base: 7, noise: 0.05 }), baseline, gate).verdict).toBe('faster');
  });

  it('does not fail a significant slowdown smaller than the threshold', () => {
    const baseline = simulateRun(31, { n: 2000, base: 10, noise: 0.05, loadShift: 0 });
    const current = simulateRun(32, { n: 2000, base: 10.4, noise: 0.05, loadShift: 0 });
    const c = compareSamples(current, baseline, gate);
    expect(c.pSlower).toBeLessThan(1e-6); // significant...
    expect(c.verdict).toBe('unchanged'); // ...but 4% is under the 10% bar
  });

  it('calls a slowdown past the threshold without enough evidence inconclusive, not a regression', () => {
    const baseline = [6, 8, 10, 12, 14];
    const current = [7, 9, 13, 15, 17];
    const c = compareSamples(current, baseline, gate);
    expect(c.ratio).toBeGreaterThan(1.1);
    expect(c.verdict).toBe('inconclusive');
  });

  // The property the gate exists for: over many simulated unchanged re-runs on a noisy machine
  // (per-sample noise, spikes and a run-level load shift), false alarms stay under 5%, while a
  // planted 25% slowdown is caught almost always.
  for (const noise of [0.02, 0.1, 0.25]) {
    it(`keeps false alarms under 5% and detects a 25% slowdown at ${noise * 100}% noise`, () => {
      const trials = 150;
      let falseAlarms = 0;
      let detected = 0;
      for (let t = 0; t < trials; t++) {
        const baseline = simulateRun(10_000 * noise + 3 * t, { n: 150, base: 4, noise });
        const rerun = simulateRun(10_000 * noise + 3 * t + 1, { n: 150, base: 4, noise });
        const slowed = simulateRun(10_000 * noise + 3 * t + 2, { n: 150, base: 4 * 1.25, noise });
        if (compareSamples(rerun, baseline, { ...gate, seed: t }).verdict === 'regression') falseAlarms++;
        if (compareSamples(slowed, baseline, { ...gate, seed: t }).verdict === 'regression') detected++;
      }
      expect(falseAlarms / trials).toBeLessThan(0.05);
      // Power falls with noise: near-certain at low noise, still a large majority at 25% per-sample noise.
      expect(detected / trials).toBeGreaterThan(noise <= 0.1 ? 0.95 : 0.6);
    });
  }
});
