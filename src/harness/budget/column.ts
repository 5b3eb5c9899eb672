import type { Tensor } from '../../tensor/index.ts';
import { float64Error } from '../compare/index.ts';
import { float16WeightsError, type Float64Outputs, type GoldenManifest } from '../../golden/index.ts';

/**
 * A report row's float64 column: the output's error against PyTorch's float64 answer, PyTorch
 * float32's own error against it and their ratio (the rounding cost), or why there is no float64
 * answer (the judging then falls back to the scale-aware rule).
 */
export type Float64Column = { readonly maxAbsDiff: number; readonly torchMaxAbsDiff: number; readonly ratio: number | null } | { readonly unavailable: string };

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** The column for one output; undefined for an integer or boolean output (there is no rounding to measure). */
export function float64Column(actual: Tensor, reference: Tensor, float64: Float64Outputs, output: string): Float64Column | undefined {
  if (!FLOAT_DTYPES.has(reference.dtype)) return undefined;
  if ('unavailable' in float64) return { unavailable: float64.unavailable };
  const exact = float64.outputs.get(output);
  if (!exact) return { unavailable: `the golden has no float64 answer for ${output}` };
  const error = float64Error(actual, reference, exact);
  if (!error) return { unavailable: `${output}: the float64 answer cannot be compared (shape, dtype or non-finite values)` };
  return { maxAbsDiff: error.maxAbsDiff, torchMaxAbsDiff: error.torchMaxAbsDiff, ratio: error.ratio };
}

/**
 * What the budget rules need to judge `output` of `seed`: PyTorch's float64 answer (float64-budget,
 * float16-budget) and what float16 weights cost on it (float16-budget); null where the golden has none.
 */
export function budgetAnswers(float64: Float64Outputs, manifest: GoldenManifest, seed: number, output: string): { float64: Tensor | null; float16Weights: number | null } {
  return { float64: 'outputs' in float64 ? (float64.outputs.get(output) ?? null) : null, float16Weights: float16WeightsError(manifest.float16Weights, seed, output) };
}
