// The float16 error budget: a float16-weight port (fp16 weights + DEQUANTIZE, float32 activations)
// is judged by how far it is from the exact (float64) answer, as a multiple of how far the same
// model with float16-rounded weights is from it in float64. Deep networks amplify weight rounding
// (2.3e-2 relative on a random-weight mobilenet_v2, docs/tolerances.md); what a port must not do is
// add error beyond what storing the weights in float16 itself costs.
import type { BudgetVerdict, Float64Error } from './float64-budget.ts';

/**
 * max|a - r64| <= max(k x max|r16w - r64|, maxRelError x max|r64|): r64 is PyTorch's float64
 * answer, r16w the float64 answer with every weight rounded to float16 first. maxRelError is the
 * floor (the relative rule's bound: never stricter than it) and, without a budget, the relative
 * rule the judging falls back to.
 */
export interface Float16BudgetTolerance {
  readonly rule: 'float16-budget';
  readonly k: number;
  readonly maxRelError: number;
}

/** `error` is the port's error against the float64 answer; `weightsMaxAbsDiff` is max|r16w - r64|. */
export function judgeFloat16Budget(error: Float64Error, weightsMaxAbsDiff: number, tolerance: Float16BudgetTolerance): BudgetVerdict {
  const floor = tolerance.maxRelError * error.maxAbsReference;
  const limit = Math.max(tolerance.k * weightsMaxAbsDiff, floor);
  const neededK = error.maxAbsDiff <= floor ? 0 : weightsMaxAbsDiff > 0 ? error.maxAbsDiff / weightsMaxAbsDiff : Infinity;
  const ratio = weightsMaxAbsDiff > 0 ? `${(error.maxAbsDiff / weightsMaxAbsDiff).toFixed(2)}x` : 'above zero where';
  return {
    pass: error.maxAbsDiff <= limit,
    neededK,
    reason:
      `error vs float64 ${fmt(error.maxAbsDiff)} is ${ratio} what float16 weights cost in float64 (${fmt(weightsMaxAbsDiff)}); ` +
      `limit max(${tolerance.k} x ${fmt(weightsMaxAbsDiff)}, ${tolerance.maxRelError} x max|float64| ${fmt(error.maxAbsReference)}) = ${fmt(limit)}`,
  };
}

function fmt(value: number): string {
  return value === 0 ? '0' : value.toExponential(3);
}
