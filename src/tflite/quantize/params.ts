// Quantization arithmetic, following the TFLite quantization spec
// (https://ai.google.dev/edge/litert/models/quantization_spec): real = scale * (q - zero_point).
// - activations: int8, per tensor, asymmetric; the float range always contains 0 so that zero
//   (padding, ReLU) is exact;
// - weights: int8, symmetric (zero point 0), values in [-127, 127], per output channel for
//   convolutions;
// - biases: int32, zero point 0, scale = input scale x weight scale (per channel), so the kernel
//   adds them straight to its int32 accumulator.
// Every scale is rounded to float32 here, because that is what the file stores and what the
// kernel will multiply with.
import { Tensor } from '../../tensor/index.ts';
import type { Quantization } from '../model.ts';

export type Range = readonly [number, number];

/** Smallest scale we write: a constant-zero tensor still needs a positive, finite scale. */
const MIN_SCALE = 1e-8;

/** Per-tensor asymmetric int8 parameters for values observed in [min, max]. */
export function asymmetricInt8([min, max]: Range): Quantization {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(Math.max((hi - lo) / 255, MIN_SCALE));
  // zero_point such that lo maps to -128; rounding may move the range by up to half a step.
  const zeroPoint = clamp(Math.round(-128 - lo / scale), -128, 127);
  return { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0, min: [lo], max: [hi] };
}

export function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** The union of ranges. */
export function unionRange(ranges: readonly Range[]): Range {
  return [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))];
}

/**
 * float32's extremes (|v| >= 2^127, about 1.7e38: -FLT_MAX, finfo.min) stand for "no value" (the
 * padding of a max pool, a mask fill), not for data. In a calibrated range one of them makes the
 * step about 1e36 and every real value 0; left out, int8 clamps it to the end of the range, which
 * keeps its meaning where it is used (below every real value, so MAXIMUM and max pooling never
 * pick it while a window holds data).
 */
export function isRangeSentinel(value: number): boolean {
  return Math.abs(value) >= 2 ** 127;
}

/** min and max of the values, float32's extremes left out (isRangeSentinel); [0, 0] when none is left. */
export function rangeOf(values: ArrayLike<number>): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (isRangeSentinel(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [0, 0] : [lo, hi];
}

/**
 * Symmetric int8 weights with one scale per slice along `axis` (per-tensor when `axis` is
 * undefined): scale = max|w| / 127, q = round(w / scale) in [-127, 127].
 */
export function symmetricInt8(weights: Tensor, axis: number | undefined): { tensor: Tensor<'int8'>; quantization: Quantization } {
  const data = weights.toFloat32().data;
  const shape = weights.shape;
  const channels = axis === undefined ? 1 : shape[axis]!;
  // Element i belongs to channel floor(i / inner) % channels, inner = product of dims after axis.
  const inner = axis === undefined ? data.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(data[i]!));
  const scale = Array.from(maxAbs, (m) => Math.fround(m > 0 ? m / 127 : 1));
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = clamp(Math.round(data[i]! / scale[channelOf(i)]!), -127, 127);
  return {
    tensor: new Tensor('int8', shape, q),
    quantization: { scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis ?? 0 },
  };
}

/** int32 bias for an int8 kernel: scale_c = input_scale x weight_scale_c, zero point 0. */
export function int32Bias(bias: Tensor, inputScale: number, weightScales: readonly number[]): { tensor: Tensor<'int32'>; quantization: Quantization } {
  const data = bias.toFloat32().data;
  const scales = Array.from(data, (_, c) => Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!));
  const q = Int32Array.from(data, (v, c) => clamp(Math.round(v / scales[c]!), -(2 ** 31), 2 ** 31 - 1));
  const perChannel = weightScales.length > 1;
  return {
    tensor: new Tensor('int32', bias.shape, q),
    quantization: perChannel
      ? { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 }
      : { scale: [scales[0] ?? Math.fround(inputScale * weightScales[0]!)], zeroPoint: [0], quantizedDimension: 0 },
  };
}

/** Float values into int8 with given per-tensor parameters. */
export function quantizeWith(values: Tensor, quantization: Quantization): Tensor<'int8'> {
  const data = values.toFloat32().data;
  const scale = quantization.scale[0]!;
  const zeroPoint = quantization.zeroPoint[0]!;
  return new Tensor(
    'int8',
    values.shape,
    Int8Array.from(data, (v) => clamp(Math.round(v / scale) + zeroPoint, -128, 127)),
  );
}

export function sameQuantization(a: Quantization, b: Quantization): boolean {
  return a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i]) && a.zeroPoint.every((z, i) => z === b.zeroPoint[i]);
}
