// How the float variants store constants: float16 (each constant followed by a DEQUANTIZE to
// float32, since LiteRT runs float32 activations only), and dynamic-range int8 (symmetric int8
// weights for the operators with hybrid kernels; everything else stays float32).
import type { Tensor } from '../../tensor/index.ts';
import type { OperatorName } from '../schema/index.ts';

export type FloatVariant = 'fp32' | 'fp16' | 'dynamic-int8';

/**
 * Weights quantized in dynamic-range mode, with their per-channel axis (undefined: per tensor).
 * - CONV_2D: per output channel on dimension 0 (the hybrid kernel needs exactly that; scales on
 *   another axis load but compute garbage, ../../../shared NOTES).
 * - FULLY_CONNECTED: per tensor, the long-standing hybrid kernel (version 3).
 * DEPTHWISE_CONV_2D stays float: its hybrid kernel runs several times slower than float here
 * (measured by scripts/bench-tflite-variants.ts). TRANSPOSE_CONV stays float (no XNNPACK hybrid).
 */
export const DYNAMIC_RANGE_WEIGHTS: Partial<Record<OperatorName, { input: number; axis: number | undefined }>> = {
  CONV_2D: { input: 1, axis: 0 },
  FULLY_CONNECTED: { input: 1, axis: undefined },
};

/**
 * Which float32 constants the fp16 variant stores as float16 + DEQUANTIZE.
 * - Weight tensors (rank >= 2: filters, dense kernels, broadcast constants): nearly all the bytes.
 * - The bias of every operator whose weights are float16 (CONV_2D, DEPTHWISE_CONV_2D,
 *   FULLY_CONNECTED, TRANSPOSE_CONV): LiteRT's XNNPACK delegate takes such an operator in its
 *   float16-weights form only when the bias is float16 + DEQUANTIZE as well; with a float32 bias it
 *   leaves the node to the builtin kernels, which measured 4x slower than fp32 (see
 *   docs/quantization.md and scripts/bench-variants.ts).
 * Other vectors and scalars (folded BatchNorm scales and shifts read by MUL / ADD, LayerNorm's
 * gamma and beta, constant operands) stay float32: a negligible share of the file, and their
 * rounding error reaches the output undiluted. Constants beyond float16's range (max pooling's pad
 * value, the lowest float32) stay float32 too: in float16 they would become -Infinity.
 */
export function storedAsFloat16(op: OperatorName, input: number, data: Tensor): boolean {
  if (data.dtype !== 'float32') return false;
  if (data.shape.length < 2 && FLOAT16_BIAS_INPUT[op] !== input) return false;
  const values = data.toFloat32().data;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) > FLOAT16_MAX) return false;
  return true;
}

/** Largest finite float16. */
const FLOAT16_MAX = 65504;

const FLOAT16_BIAS_INPUT: Partial<Record<OperatorName, number>> = { CONV_2D: 2, DEPTHWISE_CONV_2D: 2, FULLY_CONNECTED: 2, TRANSPOSE_CONV: 3 };
