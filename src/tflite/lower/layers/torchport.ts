// Lowerings of torchport's custom Keras layers (src/keras/layers) and of the built-in Keras layers
// the PyTorch -> Keras builder emits beyond the common ones: one TFLite builtin per PyTorch op
// wherever TFLite has one. Each layer class calls its lowering from its lower() method.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { axisOf, outputShape, requireChannelsLast } from './util.ts';

/** PyTorch's hardswish, x * relu6(x + 3) / 6: exactly TFLite's HARD_SWISH. */
export function hardSwish(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op('HARD_SWISH', [x], { shape: x.shape });
}

/**
 * PyTorch's hardsigmoid, relu6(x + 3) / 6. TFLite has no builtin: ADD (RELU6 fused into it by
 * ../passes.ts) and MUL by 1/6, as the official converter writes it (int8 kernels have no DIV).
 */
export function hardSigmoid(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const shifted = ctx.op('ADD', [x, ctx.constant('three', Tensor.fromNumbers([], [3]))], { shape: x.shape, suffix: 'add' });
  const clamped = ctx.op('RELU6', [shifted], { shape: x.shape, suffix: 'relu6' });
  return ctx.op('MUL', [clamped, ctx.constant('one_sixth', Tensor.fromNumbers([], [1 / 6]))], { shape: x.shape });
}

/** GELU's tanh approximation: TFLite GELU with approximate = true. */
export function geluTanh(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op('GELU', [x], { shape: x.shape }, { approximate: true });
}

/** log_softmax over the last axis (the only axis the layer supports): TFLite LOG_SOFTMAX. */
export function logSoftmax(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op('LOG_SOFTMAX', [x], { shape: x.shape });
}

/** Subtract (x - y, broadcasting): TFLite SUB. */
export function subtract(ctx: LoweringContext): IrTensor {
  if (ctx.inputs.length !== 2) ctx.fail(`needs exactly 2 inputs, got ${ctx.inputs.length}`);
  return ctx.op('SUB', [ctx.inputs[0]!, ctx.inputs[1]!], { shape: outputShape(ctx) });
}

/** A broadcast constant with no redundant leading 1s ([C] rather than [1, 1, 1, C]: what XNNPACK likes). */
function compactConstant(value: Tensor): Tensor {
  const first = value.shape.findIndex((d) => d !== 1);
  return first <= 0 ? value : value.reshape(first < 0 ? [] : value.shape.slice(first));
}

/**
 * x (op) c or c (op) x with a scalar or tensor constant c: ADD / SUB / MUL with the constant as an
 * operand; x * -1 is NEG; x / c is MUL by 1/c (computed in float64, then rounded once: at most one
 * float32 ulp from PyTorch's division, it folds into a preceding convolution and has an int8
 * kernel, which DIV has not); c / x stays DIV.
 */
export function constantArithmetic(
  ctx: LoweringContext,
  { op, reversed, scalar }: { readonly op: 'add' | 'sub' | 'mul' | 'div'; readonly reversed: boolean; readonly scalar: number | null },
): IrTensor {
  const x = ctx.inputs[0]!;
  const shape = outputShape(ctx);
  let constant: Tensor;
  if (scalar !== null) {
    if (op === 'mul' && scalar === -1) return ctx.op('NEG', [x], { shape });
    constant = Tensor.fromNumbers([], [scalar]);
  } else {
    constant = compactConstant(ctx.weight('value'));
  }
  const operands = (c: IrTensor): IrTensor[] => (reversed ? [c, x] : [x, c]);
  switch (op) {
    case 'add':
      return ctx.op('ADD', operands(ctx.constant('value', constant)), { shape });
    case 'sub':
      return ctx.op('SUB', operands(ctx.constant('value', constant)), { shape });
    case 'mul':
      return ctx.op('MUL', operands(ctx.constant('value', constant)), { shape });
    case 'div': {
      if (reversed) return ctx.op('DIV', [ctx.constant('value', constant), x], { shape });
      const values = constant.toFloat32().data;
      if (values.some((v) => v === 0)) ctx.fail('divides by a constant that contains 0');
      const reciprocal = new Tensor(
        'float32',
        constant.shape,
        Float32Array.from(values, (v) => 1 / v),
      );
      return ctx.op('MUL', [x, ctx.constant('reciprocal', reciprocal)], { shape });
    }
  }
}

/**
 * Constant padding of the spatial axes: PAD for zeros, PADV2 with the value otherwise (max
 * pooling's -inf is written as the lowest float32, as the official converter does).
 */
export function constantPadding(ctx: LoweringContext, { padding, value }: { readonly padding: ReadonlyArray<readonly [number, number]>; readonly value: number }): IrTensor {
  const x = ctx.inputs[0]!;
  if (padding.length !== x.shape.length - 2) ctx.fail(`pads ${padding.length} spatial axes of a rank-${x.shape.length} input`);
  const pairs = [[0, 0], ...padding, [0, 0]].flat();
  const paddings = ctx.int32('paddings', pairs, [x.shape.length, 2]);
  if (value === 0) return ctx.op('PAD', [x, paddings], { shape: outputShape(ctx) });
  return ctx.op('PADV2', [x, paddings, ctx.constant('value', Tensor.fromNumbers([], [Math.fround(value)]))], { shape: outputShape(ctx) });
}

/** A constant layer output: the weight `value` (leading axis 1) repeated over the batch, as a constant buffer. */
export function constantTensor(ctx: LoweringContext): IrTensor {
  const value = ctx.weight('value');
  const shape = outputShape(ctx);
  const batch = shape[0]!;
  if (batch === 1) return ctx.constant('value', value.reshape(shape));
  const one = value.toFloat32().data;
  const data = new Float32Array(one.length * batch);
  for (let b = 0; b < batch; b++) data.set(one, b * one.length);
  return ctx.constant('value', new Tensor('float32', shape, data));
}

const REDUCERS = { mean: 'MEAN', sum: 'SUM', max: 'REDUCE_MAX', min: 'REDUCE_MIN', prod: 'REDUCE_PROD' } as const;

/** A reduction over static (Keras-layout) axes: MEAN / SUM / REDUCE_MAX. */
export function reduce(ctx: LoweringContext, layer: { readonly op: keyof typeof REDUCERS; readonly axes: readonly number[]; readonly keepDims: boolean }): IrTensor {
  const x = ctx.inputs[0]!;
  const axes = layer.axes.map((a) => axisOf(ctx, a, x.shape.length));
  if (axes.includes(0)) ctx.fail('reduces over the batch axis');
  return ctx.op(REDUCERS[layer.op], [x, ctx.int32('axes', axes)], { shape: outputShape(ctx) }, { keepDims: layer.keepDims });
}

/**
 * Resize2D: RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR with the layer's align_corners and
 * half_pixel_centers flags, which carry PyTorch's sampling rule over unchanged (TFLite's kernels
 * implement the same two flags as tf.image).
 */
export function resize2d(
  ctx: LoweringContext,
  layer: { readonly size: readonly [number, number]; readonly method: 'bilinear' | 'nearest'; readonly alignCorners: boolean; readonly halfPixelCenters: boolean },
): IrTensor {
  const x = ctx.inputs[0]!;
  if (x.shape.length !== 4) ctx.fail(`needs a rank-4 NHWC input, got rank ${x.shape.length}`);
  const options = { alignCorners: layer.alignCorners, halfPixelCenters: layer.halfPixelCenters };
  const size = ctx.int32('size', [...layer.size]);
  return ctx.op(layer.method === 'bilinear' ? 'RESIZE_BILINEAR' : 'RESIZE_NEAREST_NEIGHBOR', [x, size], { shape: outputShape(ctx) }, options);
}

/** A static slice (begin and size per non-batch axis): SLICE over every axis, the batch whole. */
export function slice(ctx: LoweringContext, { begin }: { readonly begin: readonly number[] }): IrTensor {
  const x = ctx.inputs[0]!;
  if (begin.length !== x.shape.length - 1) ctx.fail(`slices ${begin.length} axes of a rank-${x.shape.length} input`);
  const shape = outputShape(ctx);
  return ctx.op('SLICE', [x, ctx.int32('begin', [0, ...begin]), ctx.int32('size', shape)], { shape });
}

/** Keras Cropping2D (channels last): a SLICE of the spatial axes. */
export function cropping2d(ctx: LoweringContext): IrTensor {
  requireChannelsLast(ctx);
  const x = ctx.inputs[0]!;
  const raw = ctx.config<number | number[] | number[][]>('cropping') ?? 0;
  const [[top], [left]] = typeof raw === 'number' ? [[raw], [raw]] : Array.isArray(raw[0]) ? (raw as [number[], number[]]) : [[raw[0] as number], [raw[1] as number]];
  const shape = outputShape(ctx);
  return ctx.op('SLICE', [x, ctx.int32('begin', [0, top!, left!, 0]), ctx.int32('size', shape)], { shape });
}

/** PyTorch's expand / expand_as: TFLite BROADCAST_TO to the layer's static output shape. */
export function broadcastTo(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const shape = ctx.outputShapes[0]!;
  return ctx.op('BROADCAST_TO', [x, ctx.int32('shape', shape, [shape.length])], { shape });
}
