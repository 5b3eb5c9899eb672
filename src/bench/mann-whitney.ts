// The Mann-Whitney U test (Wilcoxon rank-sum): does one sample tend to take larger values than
// the other? It uses ranks only, so it is not thrown by the long right tail latency samples have
// (a descheduled run 10x slower counts as "larger", not as 10x). With the sample sizes a benchmark
// collects (tens to thousands) the normal approximation of U's distribution is accurate, and it
// stays valid with ties (equal timings happen at timer resolution) once its variance is corrected.

export interface MannWhitneyResult {
  /** U of the first sample: the number of (a, b) pairs with a > b, ties counting 1/2. */
  readonly u: number;
  /** The standardised statistic (with continuity correction), positive when `a` tends larger. */
  readonly z: number;
  /** One-sided p-value for "a tends to be larger than b" (for latencies: a is slower). */
  readonly pGreater: number;
  /** One-sided p-value for "a tends to be smaller than b". */
  readonly pLess: number;
  readonly pTwoSided: number;
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney U needs two non-empty samples');
  const n = n1 + n2;
  // Rank the pooled sample; tied values share the mean of the ranks they span (midranks).
  const pooled = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))].sort((x, y) => x.value - y.value);
  let rankSumA = 0;
  let tieTerm = 0; // sum over tie groups of t^3 - t
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && pooled[j + 1]!.value === pooled[i]!.value) j++;
    const t = j - i + 1;
    const midrank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumA += midrank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  // Var(U) = n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))): ties shrink the variance.
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  if (variance <= 0) return { u, z: 0, pGreater: 0.5, pLess: 0.5, pTwoSided: 1 }; // every value tied: no evidence either way
  const sd = Math.sqrt(variance);
  const deviation = u - mean;
  // Continuity correction: U moves in steps of 1/2, the normal curve is continuous.
  const z = deviation === 0 ? 0 : (deviation - 0.5 * Math.sign(deviation)) / sd;
  const pGreater = normalUpperTail((u - mean - 0.5) / sd);
  const pLess = normalUpperTail((mean - u - 0.5) / sd);
  return { u, z, pGreater: Math.min(1, pGreater), pLess: Math.min(1, pLess), pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * The complementary error function, by the Chebyshev-fitted formula of Numerical Recipes
 * (fractional error below 1.2e-7 everywhere). Computing erfc directly, rather than 1 - erf, keeps
 * small tail probabilities accurate instead of rounding them to 0.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}
