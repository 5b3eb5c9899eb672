// How the float variants store constants: float16 (each constant followed by a DEQUANTIZE to
// float32, since LiteRT runs float32 activations only), and dynamic-range int8 (symmetric int8
// weights for the operators with hybrid kernels; everything else stays float32).
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
