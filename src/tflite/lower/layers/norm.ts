// Normalization layers. BatchNormalization in inference is a per-channel affine map, written
// as MUL + ADD with constant vectors; ../passes.ts folds them into the preceding convolution or
// dense layer when that is the only reader. LayerNormalization has no TFLite builtin: it is
// decomposed the way the official converter writes it.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { axisOf } from './util.ts';

function normalizedAxes(ctx: LoweringContext, rank: number): number[] {
  const configured = ctx.config<number | number[]>('axis') ?? -1;
  return (Array.isArray(configured) ? configured : [configured]).map((a) => axisOf(ctx, a, rank)).sort((a, b) => a - b);
}

export function batchNormalization(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const rank = x.shape.length;
  const axes = normalizedAxes(ctx, rank);
  if (axes.length !== 1 || axes[0] !== rank - 1) ctx.fail(`BatchNormalization over axis ${axes.join(', ')}: only the last (channels) axis is supported in a channels-last model`);
  const channels = x.shape[rank - 1]!;
  const epsilon = ctx.config<number>('epsilon') ?? 1e-3;
  const ones = Tensor.fromNumbers([channels], new Array<number>(channels).fill(1));
  const gamma = ctx.hasWeight('gamma') ? ctx.weight('gamma') : ones;
  const beta = ctx.hasWeight('beta') ? ctx.weight('beta') : Tensor.zeros('float32', [channels]);
  const mean = ctx.weight('moving_mean').data as Float32Array;
  const variance = ctx.weight('moving_variance').data as Float32Array;
  // y = gamma * (x - mean) / sqrt(var + eps) + beta = x * scale + shift (in float64, then rounded once).
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (gamma.data as Float32Array)[c]! / Math.sqrt(variance[c]! + epsilon);
    scale[c] = s;
    shift[c] = (beta.data as Float32Array)[c]! - mean[c]! * s;
  }
  const scaled = ctx.op('MUL', [x, ctx.constant('scale', new Tensor('float32', [channels], scale))], { shape: x.shape, suffix: 'mul' });
  return ctx.op('ADD', [scaled, ctx.constant('shift', new Tensor('float32', [channels], shift))], { shape: x.shape });
}

/**
 * mean = MEAN(x), d = x - mean, var = MEAN(d * d), y = d * RSQRT(var + eps) * gamma + beta, over
 * the normalized axes (kept as size-1 dims so everything broadcasts).
 */
export function layerNormalization(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const rank = x.shape.length;
  const axes = normalizedAxes(ctx, rank);
  if (axes.includes(0)) ctx.fail('LayerNormalization over the batch axis is not supported');
  const epsilon = ctx.config<number>('epsilon') ?? 1e-3;
  const reduced = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const axesTensor = ctx.int32('axes', axes);
  // The statistics stay float32 in full int8 (keepFloat): see IrOp.keepFloat and docs/quantization.md.
  const stat = { keepFloat: true } as const;
  const mean = ctx.op('MEAN', [x, axesTensor], { shape: reduced, suffix: 'mean', ...stat }, { keepDims: true });
  const centered = ctx.op('SUB', [x, mean], { shape: x.shape, suffix: 'centered', ...stat });
  const squared = ctx.op('MUL', [centered, centered], { shape: x.shape, suffix: 'squared', ...stat });
  const variance = ctx.op('MEAN', [squared, axesTensor], { shape: reduced, suffix: 'variance', ...stat }, { keepDims: true });
  const shifted = ctx.op('ADD', [variance, ctx.constant('epsilon', Tensor.fromNumbers([], [epsilon]))], { shape: reduced, suffix: 'variance_eps', ...stat });
  const inverse = ctx.op('RSQRT', [shifted], { shape: reduced, suffix: 'rsqrt', ...stat });
  let y = ctx.op('MUL', [centered, inverse], { shape: x.shape, suffix: 'normalized', ...stat });
  // gamma/beta have the normalized dims' sizes; give them the input's rank (1 elsewhere, no batch).
  const paramShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1)).slice(1);
  const center = ctx.config<boolean>('center') ?? true;
  const scale = ctx.config<boolean>('scale') ?? true;
  if (scale) y = ctx.op('MUL', [y, ctx.constant('gamma', ctx.weight('gamma').reshape(trimLeadingOnes(paramShape)))], { shape: x.shape, suffix: center ? 'scaled' : undefined });
  if (center) y = ctx.op('ADD', [y, ctx.constant('beta', ctx.weight('beta').reshape(trimLeadingOnes(paramShape)))], { shape: x.shape });
  return y;
}

/** Broadcasting aligns trailing dims: leading 1s are redundant (and [C] is what XNNPACK likes). */
function trimLeadingOnes(shape: readonly number[]): number[] {
  const first = shape.findIndex((d) => d !== 1);
  return first < 0 ? [1] : shape.slice(first);
}
