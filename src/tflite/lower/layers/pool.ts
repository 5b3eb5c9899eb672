// Pooling. 1D pooling runs as 2D pooling on (N, 1, W, C); global pooling is a reduction.
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { outputShape, pair, requireChannelsLast, single, tflitePadding } from './util.ts';

export function pool2d(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D') {
  return (ctx: LoweringContext): IrTensor => {
    requireChannelsLast(ctx);
    const [filterHeight, filterWidth] = pair(ctx, 'poolSize', 2);
    const [strideH, strideW] = ctx.config('strides') === null || ctx.config('strides') === undefined ? [filterHeight, filterWidth] : pair(ctx, 'strides');
    return ctx.op(kind, [ctx.inputs[0]!], { shape: outputShape(ctx) }, { padding: tflitePadding(ctx), strideH, strideW, filterHeight, filterWidth });
  };
}

export function pool1d(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D') {
  return (ctx: LoweringContext): IrTensor => {
    requireChannelsLast(ctx);
    const x = ctx.inputs[0]!;
    const [batch, width, channels] = x.shape as [number, number, number];
    const size = single(ctx, 'poolSize', 2);
    const stride = ctx.config('strides') === null || ctx.config('strides') === undefined ? size : single(ctx, 'strides');
    const shape = outputShape(ctx);
    const as2d = ctx.op('RESHAPE', [x, ctx.int32('to_2d', [batch, 1, width, channels])], { shape: [batch, 1, width, channels], suffix: 'to_2d' }, { newShape: [batch, 1, width, channels] });
    const pooled = ctx.op(kind, [as2d], { shape: [batch, 1, shape[1]!, channels], suffix: 'pool' }, { padding: tflitePadding(ctx), strideH: 1, strideW: stride, filterHeight: 1, filterWidth: size });
    return ctx.op('RESHAPE', [pooled, ctx.int32('to_1d', shape)], { shape }, { newShape: [...shape] });
  };
}

export function globalPool(kind: 'MEAN' | 'REDUCE_MAX', spatialDims: 1 | 2) {
  return (ctx: LoweringContext): IrTensor => {
    requireChannelsLast(ctx);
    const axes = spatialDims === 2 ? [1, 2] : [1];
    const keepDims = ctx.config<boolean>('keepDims') ?? ctx.config<boolean>('keepdims') ?? false;
    return ctx.op(kind, [ctx.inputs[0]!, ctx.int32('axes', axes)], { shape: outputShape(ctx) }, { keepDims });
  };
}
