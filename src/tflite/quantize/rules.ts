// Per-operator rules of full-integer quantization, from the TFLite quantization spec and the
// kernels' own checks (XNNPACK refuses a node whose scales break them; the builtin kernels may
// then compute garbage rather than fail).
import type { Quantization } from '../model.ts';
import type { OperatorName } from '../schema/index.ts';

export type OutputRule =
  /** Scale and zero point from the calibrated range of the output. */
  | { kind: 'calibrated' }
  /** Output reuses the quantization of input `input` (pooling, reshapes, padding, gather...). */
  | { kind: 'same-as-input'; input: number }
  /** Every input and the output share one quantization (the union of their ranges). */
  | { kind: 'shared' }
  /** Fixed by the kernel (LOGISTIC, SOFTMAX, TANH). */
  | { kind: 'fixed'; quantization: Quantization };

export interface Int8Rule {
  readonly output: OutputRule;
  /** Constant weight input quantized symmetric int8, per channel along `axis` (per tensor when undefined). */
  readonly weights?: { readonly input: number; readonly axis: number | undefined };
  /** int32 bias input, scale = scale(data input) x weight scale. */
  readonly bias?: number;
  /** The activation input whose scale enters the bias scale (0 except TRANSPOSE_CONV). */
  readonly dataInput?: number;
}

const calibrated = { output: { kind: 'calibrated' } } as const;
const sameAsInput = (input = 0) => ({ output: { kind: 'same-as-input', input } }) as const;
const fixed = (scale: number, zeroPoint: number) => ({ output: { kind: 'fixed', quantization: { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 } } }) as const;

/**
 * Fully-connected weights are per tensor: the per-channel int8 FULLY_CONNECTED kernel is recent
 * and not what the official converter writes by default; convolutions are per output channel.
 */
export const INT8_RULES: Partial<Record<OperatorName, Int8Rule>> = {
  CONV_2D: { ...calibrated, weights: { input: 1, axis: 0 }, bias: 2 },
  DEPTHWISE_CONV_2D: { ...calibrated, weights: { input: 1, axis: 3 }, bias: 2 },
  TRANSPOSE_CONV: { ...calibrated, weights: { input: 1, axis: 0 }, bias: 3, dataInput: 2 },
  FULLY_CONNECTED: { ...calibrated, weights: { input: 1, axis: undefined }, bias: 2 },
  ADD: calibrated,
  SUB: calibrated,
  MUL: calibrated,
  MEAN: calibrated,
  SUM: calibrated,
  RSQRT: calibrated,
  PRELU: calibrated,
  LEAKY_RELU: calibrated,
  ELU: calibrated,
  GELU: calibrated,
  HARD_SWISH: calibrated,
  RELU: calibrated,
  RELU6: calibrated,
  RELU_N1_TO_1: calibrated,
  AVERAGE_POOL_2D: sameAsInput(),
  MAX_POOL_2D: sameAsInput(),
  RESHAPE: sameAsInput(),
  SQUEEZE: sameAsInput(),
  EXPAND_DIMS: sameAsInput(),
  TRANSPOSE: sameAsInput(),
  PAD: sameAsInput(),
  // The pad value (input 2) is quantized with the input's parameters (the kernel requires it).
  PADV2: sameAsInput(),
  RESIZE_NEAREST_NEIGHBOR: sameAsInput(),
  RESIZE_BILINEAR: sameAsInput(),
  SPLIT: sameAsInput(1),
  SLICE: sameAsInput(),
  STRIDED_SLICE: sameAsInput(),
  REDUCE_MAX: sameAsInput(),
  GATHER: sameAsInput(0),
  CONCATENATION: { output: { kind: 'shared' } },
  MAXIMUM: { output: { kind: 'shared' } },
  MINIMUM: { output: { kind: 'shared' } },
  // Output ranges the int8 kernels require (LUT-based): [0, 1) and [-1, 1).
  LOGISTIC: fixed(1 / 256, -128),
  SOFTMAX: fixed(1 / 256, -128),
  TANH: fixed(1 / 128, 0),
  // log_softmax <= 0: the kernel's fixed output range is [-16 + 1/16, 0] (scale 16/256, zero point 127).
  LOG_SOFTMAX: fixed(16 / 256, 127),
};
