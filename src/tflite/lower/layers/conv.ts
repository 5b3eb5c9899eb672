// Convolutions. Keras kernels are (kh, kw, in, out); TFLite wants OHWI filters for CONV_2D and
// TRANSPOSE_CONV, (1, kh, kw, in * multiplier) for DEPTHWISE_CONV_2D. Every convolution gets a
// bias tensor (zeros when the layer has none) so BatchNorm folding always has one to update.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { outputShape, pair, requireChannelsLast, single, tflitePadding } from './util.ts';

function biasOf(ctx: LoweringContext, channels: number): IrTensor {
  return ctx.constant('bias', ctx.hasWeight('bias') ? ctx.weight('bias') : Tensor.zeros('float32', [channels]));
}

function activationName(ctx: LoweringContext): string {
  return ctx.config<string>('activation') ?? 'linear';
}

export function conv2d(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const kernel = ctx.weight('kernel'); // (kh, kw, in, out)
  const [strideH, strideW] = pair(ctx, 'strides', 1);
  const [dilationH, dilationW] = pair(ctx, 'dilationRate', 1);
  const filter = ctx.constant('kernel', kernel.permute([3, 0, 1, 2]));
  const y = ctx.op(
    'CONV_2D',
    [ctx.inputs[0]!, filter, biasOf(ctx, kernel.shape[3]!)],
    { shape: outputShape(ctx), suffix: 'conv' },
    {
      padding: tflitePadding(ctx),
      strideH,
      strideW,
      dilationHFactor: dilationH,
      dilationWFactor: dilationW,
    },
  );
  return ctx.activation(activationName(ctx), y);
}

export function depthwiseConv2d(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const kernel = ctx.weight('depthwise_kernel'); // (kh, kw, in, multiplier)
  const [kh, kw, channels, multiplier] = kernel.shape as [number, number, number, number];
  const [strideH, strideW] = pair(ctx, 'strides', 1);
  const [dilationH, dilationW] = pair(ctx, 'dilationRate', 1);
  // Output channel c * multiplier + m in both Keras and TFLite: a plain reshape, no permutation.
  const filter = ctx.constant('depthwise_kernel', kernel.reshape([1, kh, kw, channels * multiplier]));
  const y = ctx.op(
    'DEPTHWISE_CONV_2D',
    [ctx.inputs[0]!, filter, biasOf(ctx, channels * multiplier)],
    { shape: outputShape(ctx), suffix: 'conv' },
    {
      padding: tflitePadding(ctx),
      strideH,
      strideW,
      depthMultiplier: multiplier,
      dilationHFactor: dilationH,
      dilationWFactor: dilationW,
    },
  );
  return ctx.activation(activationName(ctx), y);
}

export function conv2dTranspose(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const [dilationH, dilationW] = pair(ctx, 'dilationRate', 1);
  if (dilationH !== 1 || dilationW !== 1) ctx.fail('dilated transposed convolutions have no TFLite kernel');
  const kernel = ctx.weight('kernel'); // (kh, kw, out, in)
  const [strideH, strideW] = pair(ctx, 'strides', 1);
  const shape = outputShape(ctx);
  const outputShapeTensor = ctx.int32('output_shape', shape);
  const filter = ctx.constant('kernel', kernel.permute([2, 0, 1, 3]));
  // Input order is (output_shape, filter, input, bias): the data input is third.
  const y = ctx.op(
    'TRANSPOSE_CONV',
    [outputShapeTensor, filter, ctx.inputs[0]!, biasOf(ctx, kernel.shape[2]!)],
    { shape, suffix: 'conv' },
    {
      padding: tflitePadding(ctx),
      strideH,
      strideW,
    },
  );
  return ctx.activation(activationName(ctx), y);
}

/**
 * Conv1D as the official converter writes it: (N, W, C) reshaped to (N, 1, W, C), a CONV_2D with
 * a (out, 1, k, in) filter, reshaped back. The reshapes cancel between consecutive 1D layers
 * (./passes.ts), so a Conv1D stack costs one reshape at each end.
 */
export function conv1d(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const x = ctx.inputs[0]!;
  const [batch, width, channels] = x.shape as [number, number, number];
  const kernel = ctx.weight('kernel'); // (k, in, out)
  const [k, , out] = kernel.shape as [number, number, number];
  const stride = single(ctx, 'strides', 1);
  const dilation = single(ctx, 'dilationRate', 1);
  const padding = ctx.config<string>('padding') ?? 'valid';
  let input = ctx.op('RESHAPE', [x, ctx.int32('to_2d', [batch, 1, width, channels])], { shape: [batch, 1, width, channels], suffix: 'to_2d' }, { newShape: [batch, 1, width, channels] });
  if (padding === 'causal') {
    // Causal: (k - 1) * dilation zeros on the left only, then a VALID convolution.
    const left = (k - 1) * dilation;
    input = ctx.op('PAD', [input, ctx.int32('causal_padding', [0, 0, 0, 0, left, 0, 0, 0], [4, 2])], { shape: [batch, 1, width + left, channels], suffix: 'causal_pad' });
  } else if (padding !== 'same' && padding !== 'valid') {
    ctx.fail(`padding '${padding}' is not supported`);
  }
  const shape = outputShape(ctx);
  const filter = ctx.constant('kernel', kernel.permute([2, 0, 1]).reshape([out, 1, k, kernel.shape[1]!]));
  const y = ctx.op(
    'CONV_2D',
    [input, filter, biasOf(ctx, out)],
    { shape: [batch, 1, shape[1]!, out], suffix: 'conv' },
    {
      padding: padding === 'same' ? 'SAME' : 'VALID',
      strideH: 1,
      strideW: stride,
      dilationHFactor: 1,
      dilationWFactor: dilation,
    },
  );
  const back = ctx.op('RESHAPE', [y, ctx.int32('to_1d', shape)], { shape, suffix: 'to_1d' }, { newShape: [...shape] });
  return ctx.activation(activationName(ctx), back);
}

/** How GroupedConv2D is written; see the measurement in the lowering tests and the report. */
export type GroupedConvolutionStrategy = 'grouped-filter' | 'split';

/**
 * GroupedConv2D (src/keras/layers): either one CONV_2D whose filter has in/groups input channels
 * (TFLite >= 2.9 infers groups = input channels / filter channels), or SPLIT + one CONV_2D per
 * group + CONCATENATION.
 */
export function groupedConv2d(ctx: LoweringContext, strategy: GroupedConvolutionStrategy): IrTensor {
  const kernel = ctx.weight('kernel'); // (kh, kw, in / groups, out)
  const groups = ctx.config<number>('groups') ?? 1;
  const [strideH, strideW] = pair(ctx, 'strides', 1);
  const [dilationH, dilationW] = pair(ctx, 'dilationRate', 1);
  const options = { padding: tflitePadding(ctx), strideH, strideW, dilationHFactor: dilationH, dilationWFactor: dilationW };
  const shape = outputShape(ctx);
  const out = kernel.shape[3]!;
  const filter = kernel.permute([3, 0, 1, 2]); // (out, kh, kw, in / groups)
  const bias = ctx.hasWeight('bias') ? ctx.weight('bias') : Tensor.zeros('float32', [out]);
  if (strategy === 'grouped-filter' || groups === 1) {
    const y = ctx.op('CONV_2D', [ctx.inputs[0]!, ctx.constant('kernel', filter), ctx.constant('bias', bias)], { shape, suffix: 'conv' }, options);
    return ctx.activation(activationName(ctx), y);
  }
  const x = ctx.inputs[0]!;
  const perGroupIn = x.shape[3]! / groups;
  const perGroupOut = out / groups;
  const parts = ctx.opMulti(
    'SPLIT',
    [ctx.int32('split_axis', [3], []), x],
    Array.from({ length: groups }, (_, g) => ({ shape: [...x.shape.slice(0, 3), perGroupIn], suffix: `split_${g}` })),
    { numSplits: groups },
  );
  const filterData = filter.data as Float32Array;
  const filterSize = filter.size / groups; // output channels are the outer axis: groups are contiguous
  const ys = parts.map((part, g) => {
    const groupFilter = new Tensor('float32', [perGroupOut, ...filter.shape.slice(1, 4)], filterData.slice(g * filterSize, (g + 1) * filterSize));
    const groupBias = new Tensor('float32', [perGroupOut], (bias.data as Float32Array).slice(g * perGroupOut, (g + 1) * perGroupOut));
    return ctx.op('CONV_2D', [part, ctx.constant(`kernel_${g}`, groupFilter), ctx.constant(`bias_${g}`, groupBias)], { shape: [...shape.slice(0, 3), perGroupOut], suffix: `conv_${g}` }, options);
  });
  const y = ctx.op('CONCATENATION', ys, { shape, suffix: 'concat' }, { axis: 3 });
  return ctx.activation(activationName(ctx), y);
}

/** A Keras int-or-triple config value (Conv3D kernelSize, strides, dilationRate) as a triple. */
function triple(ctx: LoweringContext, key: string, fallback: number): [number, number, number] {
  const value = ctx.config<number | number[] | null>(key);
  if (value === undefined || value === null) return [fallback, fallback, fallback];
  if (typeof value === 'number') return [value, value, value];
  if (value.length === 1) return [value[0]!, value[0]!, value[0]!];
  return [value[0]!, value[1]!, value[2]!];
}

/** Conv3D: TFLite's CONV_3D takes Keras's (kd, kh, kw, in, out) kernel as it is (DHWIO). */
export function conv3d(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const kernel = ctx.weight('kernel'); // (kd, kh, kw, in, out)
  const [strideD, strideH, strideW] = triple(ctx, 'strides', 1);
  const [dilationD, dilationH, dilationW] = triple(ctx, 'dilationRate', 1);
  const y = ctx.op(
    'CONV_3D',
    [ctx.inputs[0]!, ctx.constant('kernel', kernel), biasOf(ctx, kernel.shape[4]!)],
    { shape: outputShape(ctx), suffix: 'conv' },
    {
      padding: tflitePadding(ctx),
      strideD,
      strideH,
      strideW,
      dilationDFactor: dilationD,
      dilationHFactor: dilationH,
      dilationWFactor: dilationW,
    },
  );
  return ctx.activation(activationName(ctx), y);
}

/**
 * Conv3DTranspose: CONV_3D_TRANSPOSE takes (output_shape, filter, input, bias) with Keras's
 * (kd, kh, kw, out, in) kernel as it is.
 */
export function conv3dTranspose(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const [dilationD, dilationH, dilationW] = triple(ctx, 'dilationRate', 1);
  const kernel = ctx.weight('kernel'); // (kd, kh, kw, out, in)
  const [strideD, strideH, strideW] = triple(ctx, 'strides', 1);
  const shape = outputShape(ctx);
  const y = ctx.op(
    'CONV_3D_TRANSPOSE',
    [ctx.int32('output_shape', shape), ctx.constant('kernel', kernel), ctx.inputs[0]!, biasOf(ctx, kernel.shape[3]!)],
    { shape, suffix: 'conv' },
    {
      padding: tflitePadding(ctx),
      strideD,
      strideH,
      strideW,
      dilationDFactor: dilationD,
      dilationHFactor: dilationH,
      dilationWFactor: dilationW,
    },
  );
  return ctx.activation(activationName(ctx), y);
}
