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

/**
 * 3-D pooling, which has no TFLite builtin: a max or mean over a (kd, kh, kw) box is the same
 * taken over (kh, kw) then over kd, so (N, D, H, W, C) is pooled as the images (N * D, H, W, C),
 * then as (N, D, H' * W', C) with a (kd, 1) window, reshaped back. Each half is skipped when its
 * window and stride are 1.
 */
export function pool3d(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D') {
  return (ctx: LoweringContext): IrTensor => {
    requireChannelsLast(ctx);
    const x = ctx.inputs[0]!;
    const [batch, depth, height, width, channels] = x.shape as [number, number, number, number, number];
    const size = triple(ctx, 'poolSize');
    const stride = ctx.config('strides') === null || ctx.config('strides') === undefined ? size : triple(ctx, 'strides');
    const padding = tflitePadding(ctx);
    const shape = outputShape(ctx);
    const [, outDepth, outHeight, outWidth] = shape as [number, number, number, number, number];
    const reshape = (value: IrTensor, to: number[], suffix: string): IrTensor => ctx.op('RESHAPE', [value, ctx.int32(suffix, to)], { shape: to, suffix }, { newShape: to });
    let y = x;
    if (size[1] !== 1 || size[2] !== 1 || stride[1] !== 1 || stride[2] !== 1) {
      const images = reshape(y, [batch * depth, height, width, channels], 'to_hw');
      const pooled = ctx.op(
        kind,
        [images],
        { shape: [batch * depth, outHeight, outWidth, channels], suffix: 'pool_hw' },
        { padding, strideH: stride[1], strideW: stride[2], filterHeight: size[1], filterWidth: size[2] },
      );
      y = reshape(pooled, [batch, depth, outHeight, outWidth, channels], 'from_hw');
    }
    if (size[0] !== 1 || stride[0] !== 1) {
      const columns = reshape(y, [batch, depth, outHeight * outWidth, channels], 'to_d');
      const pooled = ctx.op(
        kind,
        [columns],
        { shape: [batch, outDepth, outHeight * outWidth, channels], suffix: 'pool_d' },
        { padding, strideH: stride[0], strideW: 1, filterHeight: size[0], filterWidth: 1 },
      );
      y = reshape(pooled, [...shape], 'from_d');
    }
    return y;
  };
}

function triple(ctx: LoweringContext, key: string): [number, number, number] {
  const value = ctx.config<number | number[] | null>(key);
  if (value === undefined || value === null) return ctx.fail(`config has no '${key}'`);
  if (typeof value === 'number') return [value, value, value];
  return [value[0]!, value[1]!, value[2]!];
}
