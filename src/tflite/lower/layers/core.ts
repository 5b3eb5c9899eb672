// Dense, shape layers, activation layers, Embedding, padding and upsampling.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { axisOf, outputShape, pair } from './util.ts';

/** Dense: FULLY_CONNECTED with (out, in) weights; on rank > 2 inputs it keeps the leading dims. */
export function dense(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const kernel = ctx.weight('kernel'); // (in, out)
  const units = kernel.shape[1]!;
  const weights = ctx.constant('kernel', kernel.permute([1, 0]));
  const bias = ctx.constant('bias', ctx.hasWeight('bias') ? ctx.weight('bias') : Tensor.zeros('float32', [units]));
  const y = ctx.op('FULLY_CONNECTED', [x, weights, bias], { shape: outputShape(ctx), suffix: 'fc' }, x.shape.length > 2 ? { keepNumDims: true } : {});
  return ctx.activation(ctx.config<string>('activation') ?? 'linear', y);
}

export function identity(ctx: LoweringContext): IrTensor {
  return ctx.inputs[0]!;
}

export function reshape(ctx: LoweringContext): IrTensor {
  const shape = outputShape(ctx);
  return ctx.op('RESHAPE', [ctx.inputs[0]!, ctx.int32('shape', shape)], { shape, suffix: 'reshape' }, { newShape: [...shape] });
}

export function permute(ctx: LoweringContext): IrTensor {
  const dims = ctx.config<number[]>('dims') ?? ctx.fail('config has no dims');
  const perm = [0, ...dims];
  return ctx.op('TRANSPOSE', [ctx.inputs[0]!, ctx.int32('perm', perm)], { shape: outputShape(ctx), suffix: 'transpose' });
}

export function activationLayer(ctx: LoweringContext): IrTensor {
  return ctx.activation(ctx.config<string>('activation') ?? 'linear', ctx.inputs[0]!);
}

export function relu(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const maxValue = ctx.config<number | null>('maxValue') ?? ctx.config<number | null>('max_value') ?? null;
  const slope = ctx.config<number>('negativeSlope') ?? ctx.config<number>('negative_slope') ?? 0;
  const threshold = ctx.config<number>('threshold') ?? 0;
  if (slope !== 0 || threshold !== 0) ctx.fail('ReLU with a negative slope or threshold is not supported (use LeakyReLU)');
  if (maxValue === null) return ctx.op('RELU', [x], { shape: x.shape });
  if (maxValue === 6) return ctx.op('RELU6', [x], { shape: x.shape });
  const y = ctx.op('RELU', [x], { shape: x.shape, suffix: 'relu' });
  return ctx.op('MINIMUM', [y, ctx.constant('max_value', Tensor.fromNumbers([], [maxValue]))], { shape: x.shape });
}

export function leakyRelu(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op('LEAKY_RELU', [x], { shape: x.shape }, { alpha: ctx.config<number>('alpha') ?? 0.3 });
}

export function prelu(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  // Keras keeps alpha shaped like the input without batch, 1 on shared axes: it broadcasts as is.
  return ctx.op('PRELU', [x, ctx.constant('alpha', ctx.weight('alpha'))], { shape: x.shape });
}

export function elu(ctx: LoweringContext): IrTensor {
  const alpha = ctx.config<number>('alpha') ?? 1;
  if (alpha !== 1) ctx.fail(`ELU with alpha ${alpha} has no TFLite builtin (ELU is alpha = 1)`);
  const x = ctx.inputs[0]!;
  return ctx.op('ELU', [x], { shape: x.shape });
}

/** Softmax over the last axis (the only one tfjs runs). */
export function softmax(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const configured = ctx.config<number | number[]>('axis') ?? -1;
  const axes = Array.isArray(configured) ? configured : [configured];
  if (axes.length !== 1 || axisOf(ctx, axes[0]!, x.shape.length) !== x.shape.length - 1) ctx.fail(`softmax over axis ${JSON.stringify(configured)}: only the last axis is supported`);
  return ctx.op('SOFTMAX', [x], { shape: x.shape }, { beta: 1 });
}

export function embedding(ctx: LoweringContext): IrTensor {
  let ids = ctx.inputs[0]!;
  if (ids.dtype !== 'int32') ids = ctx.op('CAST', [ids], { shape: ids.shape, dtype: 'int32', suffix: 'ids' }, { inDataType: 'float32', outDataType: 'int32' });
  const table = ctx.constant('embeddings', ctx.weight('embeddings'));
  return ctx.op('GATHER', [table, ids], { shape: outputShape(ctx) }, { axis: 0, batchDims: 0 });
}

export function zeroPadding2d(ctx: LoweringContext): IrTensor {
  const raw = ctx.config<number | number[] | number[][]>('padding') ?? 1;
  const [[top, bottom], [left, right]] =
    typeof raw === 'number'
      ? [
          [raw, raw],
          [raw, raw],
        ]
      : Array.isArray(raw[0])
        ? (raw as [number[], number[]])
        : [
            [raw[0] as number, raw[0] as number],
            [raw[1] as number, raw[1] as number],
          ];
  const paddings = ctx.int32('paddings', [0, 0, top!, bottom!, left!, right!, 0, 0], [4, 2]);
  return ctx.op('PAD', [ctx.inputs[0]!, paddings], { shape: outputShape(ctx) });
}

export function zeroPadding1d(ctx: LoweringContext): IrTensor {
  const raw = ctx.config<number | number[]>('padding') ?? 1;
  const [left, right] = typeof raw === 'number' ? [raw, raw] : raw;
  return ctx.op('PAD', [ctx.inputs[0]!, ctx.int32('paddings', [0, 0, left!, right!, 0, 0], [3, 2])], { shape: outputShape(ctx) });
}

/**
 * UpSampling2D. tfjs resizes with align_corners = half_pixel_centers = false, so the TFLite
 * options say the same (for integer factors, nearest neighbour is then identical to PyTorch's
 * `nearest`; bilinear follows tfjs, not PyTorch's half-pixel `bilinear`).
 */
export function upSampling2d(ctx: LoweringContext): IrTensor {
  const [sh, sw] = pair(ctx, 'size', 2);
  const x = ctx.inputs[0]!;
  const size = ctx.int32('size', [x.shape[1]! * sh, x.shape[2]! * sw]);
  const interpolation = ctx.config<string>('interpolation') ?? 'nearest';
  const options = { alignCorners: false, halfPixelCenters: false };
  if (interpolation === 'nearest') return ctx.op('RESIZE_NEAREST_NEIGHBOR', [x, size], { shape: outputShape(ctx) }, options);
  if (interpolation === 'bilinear') return ctx.op('RESIZE_BILINEAR', [x, size], { shape: outputShape(ctx) }, options);
  return ctx.fail(`interpolation '${interpolation}' is not supported (nearest, bilinear)`);
}
