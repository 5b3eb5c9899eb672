// Pooling (1-D, 2-D and 3-D). The recorded output size already includes PyTorch's ceil_mode, so each pooling is a
// Keras 'valid' pooling over an input padded by `padding` before and whatever the last window
// needs after. Max pooling pads with the lowest float (padding never wins a max, PyTorch's
// -inf); average pooling pads with zeros and fixes the divisor where PyTorch's differs from
// kernel area (count_include_pad=False, windows clipped by ceil_mode), with a constant multiply.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { ConstantArithmetic, ConstantPadding, KerasLayerConfigError, StridedSlice } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import type { LowerableLayer } from '../family.ts';
import { channelsLastPerm } from '../layout.ts';
import { Unsupported, bool, expand, literal, num, type OpNode } from '../op_node.ts';
import { Pointwise, PointwiseBinary } from './pointwise.ts';
import { firstInput, nameFor, outputShape, pair } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

const LOWEST_FLOAT32 = -3.4028234663852886e38;

interface PoolSpec {
  readonly kind: 'max' | 'avg';
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  /** Max pooling only; a dilation other than 1 runs as dilatedMaxPool. */
  readonly dilation?: number[];
}

function moduleSpec(node: OpNode, kind: 'max' | 'avg', spatial: number): PoolSpec {
  const kernel = node.attrInts('kernel_size', spatial);
  const stride = node.attrs['stride'] === null || node.attrs['stride'] === undefined ? kernel : node.attrInts('stride', spatial);
  const dilation = kind === 'max' ? node.attrInts('dilation', spatial) : undefined;
  if (node.attrs['return_indices'] === true) throw new Unsupported('return_indices=True');
  const divisor = node.attrs['divisor_override'];
  return {
    kind,
    ...(dilation?.some((d) => d !== 1) ? { dilation } : {}),
    kernel,
    stride,
    padding: node.attrInts('padding', spatial),
    countIncludePad: node.attrs['count_include_pad'] !== false,
    divisorOverride: typeof divisor === 'number' ? divisor : null,
  };
}

function functionSpec(node: OpNode, kind: 'max' | 'avg', spatial: number): PoolSpec {
  const args =
    kind === 'max'
      ? node.bind(['input', 'kernel_size', 'stride=', 'padding=', 'dilation=', 'ceil_mode=', 'return_indices='])
      : node.bind(['input', 'kernel_size', 'stride=', 'padding=', 'ceil_mode=', 'count_include_pad=', 'divisor_override=']);
  const list = (key: string, fallback: number[] | undefined): number[] => {
    const value = literal(args[key], key);
    return value === undefined || value === null || (Array.isArray(value) && value.length === 0) ? fallback! : expand(value, spatial, key);
  };
  const kernel = list('kernel_size', undefined);
  const dilation = kind === 'max' ? list('dilation', new Array<number>(spatial).fill(1)) : undefined;
  if (bool(args['return_indices'], 'return_indices', false)) throw new Unsupported('return_indices=True');
  const divisor = literal(args['divisor_override'], 'divisor_override');
  return {
    kind,
    ...(dilation?.some((d) => d !== 1) ? { dilation } : {}),
    kernel,
    stride: list('stride', kernel),
    padding: list('padding', new Array<number>(spatial).fill(0)),
    countIncludePad: bool(args['count_include_pad'], 'count_include_pad', true),
    divisorOverride: typeof divisor === 'number' ? divisor : null,
  };
}

function pool(node: OpNode, ctx: BuildContext, spec: PoolSpec, input: KValue = firstInput(node, ctx)): KValue[] {
  const spatial = spec.kernel.length;
  const out = outputShape(node, ctx);
  let x = ctx.relayout(input, channelsLastPerm(spatial + 2), node, 'pooling runs channels-last');
  if (spec.dilation !== undefined) return [dilatedMaxPool(node, ctx, spec, spec.dilation, x, out)];
  const sizes = x.torchShape.slice(2);
  const before = spec.padding;
  const after = sizes.map((size, i) => Math.max(0, (out[i + 2]! - 1) * spec.stride[i]! + spec.kernel[i]! - size - before[i]!));
  const padded = before.some((p) => p > 0) || after.some((p) => p > 0);
  // TF's SAME max pooling ignores padding like PyTorch's -inf does: use it when it pads the same.
  const sameMatches = sizes.every((size, i) => {
    const total = Math.max((Math.ceil(size / spec.stride[i]!) - 1) * spec.stride[i]! + spec.kernel[i]! - size, 0);
    return Math.ceil(size / spec.stride[i]!) === out[i + 2] && Math.floor(total / 2) === before[i] && total - Math.floor(total / 2) === after[i];
  });
  let mode: 'valid' | 'same' = 'valid';
  if (padded && spec.kind === 'max' && sameMatches) mode = 'same';
  else if (padded) {
    const value = spec.kind === 'max' ? LOWEST_FLOAT32 : 0;
    const shape = x.torchShape.map((dim, axis) => (axis >= 2 ? dim + before[axis - 2]! + after[axis - 2]! : dim));
    const layer = new ConstantPadding({ padding: before.map((b, i) => [b, after[i]!] as [number, number]), value, name: nameFor(node, ctx, '__pad') });
    x = ctx.apply(layer, x, shape, x.layout);
  }
  const name = nameFor(node, ctx);
  const args = { poolSize: pair(spec.kernel), strides: pair(spec.stride), padding: mode, name };
  const triple = (values: readonly number[]): [number, number, number] => [values[0]!, values[1]!, values[2]!];
  const volume = { poolSize: triple(spec.kernel), strides: triple(spec.stride), padding: mode, name };
  const layer =
    spatial === 3
      ? spec.kind === 'max'
        ? tf.layers.maxPooling3d(volume)
        : tf.layers.averagePooling3d(volume)
      : spatial === 2
        ? spec.kind === 'max'
          ? tf.layers.maxPooling2d(args)
          : tf.layers.averagePooling2d(args)
        : spec.kind === 'max'
          ? tf.layers.maxPooling1d({ ...args, poolSize: spec.kernel[0]!, strides: spec.stride[0]! })
          : tf.layers.averagePooling1d({ ...args, poolSize: spec.kernel[0]!, strides: spec.stride[0]! });
  const y = ctx.apply(layer, x, out, x.layout);
  if (spec.kind === 'max') return [y];
  return [divisorFix(node, ctx, y, spec, sizes, out.slice(2))];
}

/**
 * Dilated max pooling (no Keras or TFLite pooling dilates): the input padded with the lowest
 * float (PyTorch's -inf) by `padding` before and whatever the last window needs after, then the
 * elementwise MAXIMUM of one strided slice per kernel tap (tap t of an axis starts at t * dilation
 * and steps by the stride).
 */
function dilatedMaxPool(node: OpNode, ctx: BuildContext, spec: PoolSpec, dilation: readonly number[], input: KValue, out: readonly number[]): KValue {
  const spatial = spec.kernel.length;
  let x = input;
  const sizes = x.torchShape.slice(2);
  const outSizes = out.slice(2);
  const before = spec.padding;
  const after = sizes.map((size, i) => Math.max(0, (outSizes[i]! - 1) * spec.stride[i]! + (spec.kernel[i]! - 1) * dilation[i]! + 1 - size - before[i]!));
  if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
    const shape = x.torchShape.map((dim, axis) => (axis >= 2 ? dim + before[axis - 2]! + after[axis - 2]! : dim));
    const layer = new ConstantPadding({ padding: before.map((b, i) => [b, after[i]!] as [number, number]), value: LOWEST_FLOAT32, name: nameFor(node, ctx, '__pad') });
    x = ctx.apply(layer, x, shape, x.layout);
  }
  const channels = x.torchShape[1]!;
  const taps: number[][] = [[]];
  for (let axis = 0; axis < spatial; axis++) {
    const next: number[][] = [];
    for (const tap of taps) for (let t = 0; t < spec.kernel[axis]!; t++) next.push([...tap, t]);
    taps.splice(0, taps.length, ...next);
  }
  const slices = taps.map((tap, n) => {
    const begin = tap.map((t, i) => t * dilation[i]!);
    const layer = new StridedSlice({
      begin: [...begin, 0],
      end: [...begin.map((b, i) => b + (outSizes[i]! - 1) * spec.stride[i]! + 1), channels],
      strides: [...spec.stride, 1],
      name: nameFor(node, ctx, `__tap${n}`),
    });
    return ctx.apply(layer, x, out, x.layout);
  });
  if (slices.length === 1) return slices[0]!;
  return ctx.apply(tf.layers.maximum({ name: nameFor(node, ctx) }), slices, out, x.layout);
}

/**
 * Keras divided every window by the kernel area; PyTorch divides by the override, or the
 * window's extent clipped to the padded input (count_include_pad) or to the input itself.
 * Multiplies by area / divisor where they differ (the divisor is separable per axis).
 */
function divisorFix(node: OpNode, ctx: BuildContext, y: KValue, spec: PoolSpec, sizes: number[], outSizes: number[]): KValue {
  const area = spec.kernel.reduce((a, b) => a * b, 1);
  if (spec.divisorOverride !== null) {
    if (spec.divisorOverride === area) return y;
    return ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: area / spec.divisorOverride, name: nameFor(node, ctx, '__divisor') }), y, y.torchShape, y.layout);
  }
  const perAxis = outSizes.map((count, i) =>
    Array.from({ length: count }, (_, o) => {
      const start = o * spec.stride[i]! - spec.padding[i]!;
      const end = Math.min(start + spec.kernel[i]!, sizes[i]! + spec.padding[i]!);
      return spec.countIncludePad ? end - start : Math.min(end, sizes[i]!) - Math.max(start, 0);
    }),
  );
  const correction = new Float32Array(outSizes.reduce((a, b) => a * b, 1));
  let exact = true;
  correction.forEach((_, flat) => {
    let divisor = 1;
    let rest = flat;
    for (let i = outSizes.length - 1; i >= 0; i--) {
      divisor *= perAxis[i]![rest % outSizes[i]!]!;
      rest = Math.floor(rest / outSizes[i]!);
    }
    correction[flat] = area / divisor;
    if (divisor !== area) exact = false;
  });
  if (exact) return y;
  // Held channels-last: (1, spatial..., 1), broadcast over batch and channels.
  const shape = [1, ...outSizes, 1];
  const layer = new ConstantArithmetic({ op: 'mul', shape, name: nameFor(node, ctx, '__divisor') });
  const tensorName = `${layer.name}.value`;
  ctx.addTensor(layer.name, 'value', tensorName, new Tensor('float32', shape, correction));
  return ctx.apply(layer, y, y.torchShape, y.layout);
}

export const maxPool2d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'max', 2));
export const avgPool2d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'avg', 2));
export const maxPool1d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'max', 1));
export const avgPool1d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'avg', 1));
export const maxPool3d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'max', 3));
export const avgPool3d = (node: OpNode, ctx: BuildContext) => pool(node, ctx, moduleSpec(node, 'avg', 3));
export const maxPool3dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'max', 3));
export const avgPool3dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'avg', 3));
export const maxPool2dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'max', 2));
export const avgPool2dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'avg', 2));
export const maxPool1dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'max', 1));
export const avgPool1dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'avg', 1));

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** PyTorch's adaptive pooling bins along one axis: [floor(i * in / out), ceil((i + 1) * in / out)). */
function bins(size: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)] as [number, number]);
}

/**
 * Adaptive pooling to any output size (bins that do not divide the input, overlap or repeat when
 * the output is larger): one axis at a time (a mean or max over a rectangle is the same taken
 * row-wise then column-wise), each bin a slice reduced along that axis, the bins concatenated.
 */
export class AdaptivePool extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'AdaptivePool';
  readonly kind: 'max' | 'avg';
  readonly outputSize: number[];

  constructor(args: LayerArgs & { kind: 'max' | 'avg'; outputSize: number[] }) {
    super(args);
    if (args.kind !== 'max' && args.kind !== 'avg') throw new KerasLayerConfigError(`AdaptivePool kind must be 'max' or 'avg', got ${JSON.stringify(args.kind)}`);
    if (!Array.isArray(args.outputSize) || args.outputSize.some((d) => !Number.isInteger(d) || d < 1))
      throw new KerasLayerConfigError(`AdaptivePool outputSize must be positive integers, got ${JSON.stringify(args.outputSize)}`);
    this.kind = args.kind;
    this.outputSize = [...args.outputSize];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0]!, ...this.outputSize, shape[shape.length - 1]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = Array.isArray(inputs) ? inputs[0]! : inputs;
      this.outputSize.forEach((out, i) => {
        const axis = i + 1;
        const size = x.shape[axis]!;
        if (size === out) return;
        const parts = bins(size, out).map(([start, end]) => {
          const begin = x.shape.map((_, a) => (a === axis ? start : 0));
          const extent = x.shape.map((d, a) => (a === axis ? end - start : d));
          const slice = tf.slice(x, begin, extent);
          return this.kind === 'max' ? tf.max(slice, axis, true) : tf.mean(slice, axis, true);
        });
        x = tf.concat(parts, axis);
      });
      return x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind, outputSize: this.outputSize };
  }

  lower(ctx: LoweringContext): IrTensor {
    let x = ctx.inputs[0]!;
    this.outputSize.forEach((out, i) => {
      const axis = i + 1;
      const size = x.shape[axis]!;
      if (size === out) return;
      const source = x;
      const parts = bins(size, out).map(([start, end], b) => {
        const extent = source.shape.map((d, a) => (a === axis ? end - start : d));
        const slice = ctx.op(
          'SLICE',
          [
            source,
            ctx.int32(
              `a${axis}_${b}_begin`,
              source.shape.map((_, a) => (a === axis ? start : 0)),
            ),
            ctx.int32(`a${axis}_${b}_size`, extent),
          ],
          { shape: extent, suffix: `a${axis}_${b}_slice` },
        );
        if (end - start === 1) return slice;
        const reduced = extent.map((d, a) => (a === axis ? 1 : d));
        return ctx.op(this.kind === 'max' ? 'REDUCE_MAX' : 'MEAN', [slice, ctx.int32(`a${axis}_${b}_axis`, [axis])], { shape: reduced, suffix: `a${axis}_${b}_reduce` }, { keepDims: true });
      });
      const shape = source.shape.map((d, a) => (a === axis ? out : d));
      const last = this.outputSize.slice(i + 1).every((o, j) => o === source.shape[axis + 1 + j]);
      x = parts.length === 1 ? parts[0]! : ctx.op('CONCATENATION', parts, { shape, suffix: last ? undefined : `a${axis}_concat` }, { axis });
    });
    return x;
  }
}

/**
 * Adaptive pooling to sizes that divide the input is a plain pooling with window = stride =
 * in / out (to 1x1: the whole map, keeping the spatial axes as Keras's global pooling cannot);
 * any other size is torchport's AdaptivePool.
 */
function adaptive(node: OpNode, ctx: BuildContext, kind: 'max' | 'avg'): KValue[] {
  const out = outputShape(node, ctx);
  const spatial = out.length - 2;
  if (spatial < 1 || spatial > 3) throw new Unsupported(`adaptive pooling over ${spatial} spatial axes (1-D, 2-D and 3-D are supported)`);
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(out.length), node, 'pooling runs channels-last');
  const factors = x.torchShape.slice(2).map((size, i) => size / out[i + 2]!);
  if (factors.every((f) => f === 1)) return [x];
  const name = nameFor(node, ctx);
  if (spatial === 3 || factors.some((f) => !Number.isInteger(f))) return [ctx.apply(new AdaptivePool({ kind, outputSize: out.slice(2), name }), x, out, x.layout)];
  const layer =
    spatial === 2
      ? (kind === 'max' ? tf.layers.maxPooling2d : tf.layers.averagePooling2d)({ poolSize: pair(factors), strides: pair(factors), padding: 'valid', name })
      : (kind === 'max' ? tf.layers.maxPooling1d : tf.layers.averagePooling1d)({ poolSize: factors[0]!, strides: factors[0]!, padding: 'valid', name });
  return [ctx.apply(layer, x, out, x.layout)];
}

export const adaptiveAvgPool = (node: OpNode, ctx: BuildContext) => adaptive(node, ctx, 'avg');
export const adaptiveMaxPool = (node: OpNode, ctx: BuildContext) => adaptive(node, ctx, 'max');

/**
 * LPPool1d / 2d, F.lp_pool1d / 2d: PyTorch computes avg_pool(x^p) (ceil_mode's clipped windows
 * divided by their own size), then sign(a) * relu(|a|) (= a) times the kernel area, to the power
 * 1 / p. The same here: x^p (a square for p = 2), the average pooling, a constant multiply and a
 * POW. p = +-inf (a max pooling of |x|) is refused.
 */
function lpPool(node: OpNode, ctx: BuildContext, spatial: 1 | 2): KValue[] {
  let norm: number;
  let kernel: number[];
  let stride: number[] | null;
  if (node.node.kind === 'module') {
    norm = node.attrNumber('norm_type');
    kernel = node.attrInts('kernel_size', spatial);
    stride = node.attrs['stride'] === null || node.attrs['stride'] === undefined ? null : node.attrInts('stride', spatial);
  } else {
    const args = node.bind(['input', 'norm_type', 'kernel_size', 'stride=', 'ceil_mode=']);
    norm = num(args['norm_type'], 'norm_type');
    kernel = expand(literal(args['kernel_size'], 'kernel_size'), spatial, 'kernel_size');
    const rawStride = literal(args['stride'], 'stride');
    stride = rawStride === undefined || rawStride === null || (Array.isArray(rawStride) && rawStride.length === 0) ? null : expand(rawStride, spatial, 'stride');
  }
  if (!Number.isFinite(norm) || norm === 0) throw new Unsupported(`LPPool with norm_type ${norm} (a finite, non-zero power is supported)`);
  const x = firstInput(node, ctx);
  const powered = ctx.apply(
    norm === 2 ? new Pointwise({ fn: 'square', name: nameFor(node, ctx, '__power') }) : new PointwiseBinary({ fn: 'pow', scalar: norm, name: nameFor(node, ctx, '__power') }),
    x,
    x.torchShape,
    x.layout,
  );
  const spec: PoolSpec = { kind: 'avg', kernel, stride: stride ?? kernel, padding: new Array<number>(spatial).fill(0), countIncludePad: true, divisorOverride: null };
  const [mean] = pool(node, ctx, spec, powered) as [KValue];
  const area = kernel.reduce((a, b) => a * b, 1);
  const summed = ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: area, name: nameFor(node, ctx, '__area') }), mean, mean.torchShape, mean.layout);
  return [ctx.apply(new PointwiseBinary({ fn: 'pow', scalar: 1 / norm, name: nameFor(node, ctx, '__root') }), summed, summed.torchShape, summed.layout)];
}

export const FAMILY: OpFamily = {
  name: 'Pooling',
  layers: [AdaptivePool, ConstantArithmetic, ConstantPadding],
  ops: {
    MaxPool2d: op(maxPool2d),
    MaxPool1d: op(maxPool1d),
    AvgPool2d: op(avgPool2d),
    AvgPool1d: op(avgPool1d),
    MaxPool3d: op(maxPool3d),
    AvgPool3d: op(avgPool3d),
    ...spellings(['AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveAvgPool3d', 'F.adaptive_avg_pool1d', 'F.adaptive_avg_pool2d', 'F.adaptive_avg_pool3d'], op(adaptiveAvgPool)),
    ...spellings(['AdaptiveMaxPool1d', 'AdaptiveMaxPool2d', 'AdaptiveMaxPool3d', 'F.adaptive_max_pool1d', 'F.adaptive_max_pool2d', 'F.adaptive_max_pool3d'], op(adaptiveMaxPool)),
    'F.max_pool2d': op(maxPool2dFunction),
    'F.avg_pool2d': op(avgPool2dFunction),
    ...spellings(
      ['LPPool2d', 'F.lp_pool2d'],
      op((node, ctx) => lpPool(node, ctx, 2)),
    ),
    ...spellings(
      ['LPPool1d', 'F.lp_pool1d'],
      op((node, ctx) => lpPool(node, ctx, 1)),
    ),
    // F.max_pool3d is a Python function calling torch.max_pool3d; F.avg_pool3d a C function.
    ...spellings(['F.max_pool3d', 'torch.max_pool3d'], op(maxPool3dFunction)),
    'F.avg_pool3d': op(avgPool3dFunction),
    // F.avg_pool1d is the C function torch.avg_pool1d (no divisor_override); F.max_pool1d a Python function.
    ...spellings(['F.max_pool1d', 'torch.max_pool1d'], op(maxPool1dFunction)),
    ...spellings(['F.avg_pool1d', 'torch.avg_pool1d'], op(avgPool1dFunction)),
  },
};
