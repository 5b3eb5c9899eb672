// The float64 error budget: a float32 port is judged by how far it is from the exact (float64)
// answer, as a multiple of how far PyTorch's own float32 is from it. Deep networks amplify float32
// rounding differently; what a port must not do is add error beyond what float32 itself costs.
import type { Tensor } from '../../tensor/index.ts';
import { findIncomparability } from './metrics.ts';

/**
 * max|a - r64| <= max(k x max|r32 - r64|, floor x max(1, max|r64|)): r64 is PyTorch's float64
 * answer, r32 PyTorch's float32 output (the golden's reference). `floor` covers outputs where
 * PyTorch's float32 is (nearly) exact and a correct port still differs by a few ulps. Without a
 * float64 answer the rule falls back to the scale-aware rule with `fallbackAtol`.
 */
export interface Float64BudgetTolerance {
  readonly rule: 'float64-budget';
  readonly k: number;
  readonly floor: number;
  readonly fallbackAtol: number;
}

/** One output's errors against the float64 answer. */
export interface Float64Error {
  /** max|output - float64 answer|. */
  readonly maxAbsDiff: number;
  /** max|PyTorch float32 - float64 answer|: what float32 costs on this model. */
  readonly torchMaxAbsDiff: number;
  /** maxAbsDiff / torchMaxAbsDiff, the port's rounding cost (1 = as good as PyTorch); null when PyTorch's float32 is exact. */
  readonly ratio: number | null;
  /** max|float64 answer|. */
  readonly maxAbsReference: number;
}

/** The errors of `actual` and of PyTorch's float32 `reference` against the float64 answer, in float64; null when they cannot be compared. */
export function float64Error(actual: Tensor, reference: Tensor, float64: Tensor): Float64Error | null {
  if (float64.dtype !== 'float64' || findIncomparability(actual, float64) || findIncomparability(reference, float64)) return null;
  const a = numbers(actual);
  const r = numbers(reference);
  const exact = float64.data as Float64Array;
  let port = 0;
  let torch = 0;
  let magnitude = 0;
  for (let i = 0; i < exact.length; i++) {
    port = Math.max(port, Math.abs(a[i]! - exact[i]!));
    torch = Math.max(torch, Math.abs(r[i]! - exact[i]!));
    magnitude = Math.max(magnitude, Math.abs(exact[i]!));
  }
  return { maxAbsDiff: port, torchMaxAbsDiff: torch, ratio: torch > 0 ? port / torch : port === 0 ? 1 : null, maxAbsReference: magnitude };
}

function numbers(tensor: Tensor): ArrayLike<number> {
  return tensor.dtype === 'float64' ? (tensor.data as Float64Array) : tensor.toFloat32().data;
}

export interface BudgetVerdict {
  readonly pass: boolean;
  /** The smallest k that passes (0 when the floor alone covers the error). */
  readonly neededK: number;
  readonly reason: string;
}

export function judgeFloat64Budget(error: Float64Error, tolerance: Float64BudgetTolerance): BudgetVerdict {
  const floor = tolerance.floor * Math.max(1, error.maxAbsReference);
  const limit = Math.max(tolerance.k * error.torchMaxAbsDiff, floor);
  const neededK = error.maxAbsDiff <= floor ? 0 : error.torchMaxAbsDiff > 0 ? error.maxAbsDiff / error.torchMaxAbsDiff : Infinity;
  return {
    pass: error.maxAbsDiff <= limit,
    neededK,
    reason:
      `error vs float64 ${fmt(error.maxAbsDiff)} is ${error.ratio === null ? 'above zero where' : `${error.ratio.toFixed(1)}x`} PyTorch float32's own ${fmt(error.torchMaxAbsDiff)}; ` +
      `limit max(${tolerance.k} x ${fmt(error.torchMaxAbsDiff)}, ${tolerance.floor} x max(1, max|ref|)) = ${fmt(limit)}`,
  };
}

function fmt(value: number): string {
  return value === 0 ? '0' : value.toExponential(3);
}
