// Pooling. The recorded output size already includes PyTorch's ceil_mode, so each pooling is a
// Keras 'valid' pooling over an input padded by `padding` before and whatever the last window
// needs after. Max pooling pads with the lowest float (padding never wins a max, PyTorch's
// -inf); average pooling pads with zeros and fixes the divisor where PyTorch's differs from
// kernel area (count_include_pad=False, windows clipped by ceil_mode), with a constant multiply.
import * as tf from '@tensorflow/tfjs';
import { Tensor } from '../../../tensor/index.ts';
import { ConstantArithmetic, ConstantPadding } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { channelsLastPerm } from '../layout.ts';
import { Unsupported, bool, expand, literal, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape, pair } from './common.ts';
import { op, type OpFamily } from '../family.ts';

const LOWEST_FLOAT32 = -3.4028234663852886e38;

interface PoolSpec {
  readonly kind: 'max' | 'avg';
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
}

function moduleSpec(node: OpNode, kind: 'max' | 'avg', spatial: number): PoolSpec {
  const kernel = node.attrInts('kernel_size', spatial);
  const stride = node.attrs['stride'] === null || node.attrs['stride'] === undefined ? kernel : node.attrInts('stride', spatial);
  if (kind === 'max' && node.attrInts('dilation', spatial).some((d) => d !== 1)) throw new Unsupported('dilated max pooling');
  if (node.attrs['return_indices'] === true) throw new Unsupported('return_indices=True');
  const divisor = node.attrs['divisor_override'];
  return {
    kind,
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
  if (kind === 'max' && list('dilation', [1, 1].slice(0, spatial)).some((d) => d !== 1)) throw new Unsupported('dilated max pooling');
  if (bool(args['return_indices'], 'return_indices', false)) throw new Unsupported('return_indices=True');
  const divisor = literal(args['divisor_override'], 'divisor_override');
  return {
    kind,
    kernel,
    stride: list('stride', kernel),
    padding: list('padding', new Array<number>(spatial).fill(0)),
    countIncludePad: bool(args['count_include_pad'], 'count_include_pad', true),
    divisorOverride: typeof divisor === 'number' ? divisor : null,
  };
}

function pool(node: OpNode, ctx: BuildContext, spec: PoolSpec): KValue[] {
  const spatial = spec.kernel.length;
  const out = outputShape(node, ctx);
  let x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(spatial + 2), node, 'pooling runs channels-last');
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
  const layer =
    spatial === 2
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
export const maxPool2dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'max', 2));
export const avgPool2dFunction = (node: OpNode, ctx: BuildContext) => pool(node, ctx, functionSpec(node, 'avg', 2));

/**
 * Adaptive pooling to sizes that divide the input is a plain pooling with window = stride =
 * in / out (to 1x1: the whole map, keeping the spatial axes as Keras's global pooling cannot).
 */
function adaptive(node: OpNode, ctx: BuildContext, kind: 'max' | 'avg'): KValue[] {
  const out = outputShape(node, ctx);
  const spatial = out.length - 2;
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(out.length), node, 'pooling runs channels-last');
  const factors = x.torchShape.slice(2).map((size, i) => size / out[i + 2]!);
  if (factors.some((f) => !Number.isInteger(f))) node.fail(`adaptive pooling from [${x.torchShape.slice(2).join(', ')}] to [${out.slice(2).join(', ')}] needs sizes that divide the input`);
  if (factors.every((f) => f === 1)) return [x];
  const name = nameFor(node, ctx);
  const layer =
    spatial === 2
      ? (kind === 'max' ? tf.layers.maxPooling2d : tf.layers.averagePooling2d)({ poolSize: pair(factors), strides: pair(factors), padding: 'valid', name })
      : (kind === 'max' ? tf.layers.maxPooling1d : tf.layers.averagePooling1d)({ poolSize: factors[0]!, strides: factors[0]!, padding: 'valid', name });
  return [ctx.apply(layer, x, out, x.layout)];
}

export const adaptiveAvgPool = (node: OpNode, ctx: BuildContext) => adaptive(node, ctx, 'avg');
export const adaptiveMaxPool = (node: OpNode, ctx: BuildContext) => adaptive(node, ctx, 'max');

/** Checked before building: adaptive pooling needs divisible sizes. */
export function checkAdaptive(node: OpNode, shapes: (id: string) => readonly number[] | undefined): string | undefined {
  const first = node.node.args[0];
  const input = first && 'value' in first ? shapes(first.value) : undefined;
  const output = node.node.outputs[0] ? shapes(node.node.outputs[0]) : undefined;
  if (!input || !output) return undefined;
  const bad = input.slice(2).some((size, i) => size % output[i + 2]! !== 0);
  return bad ? `adaptive pooling from [${input.slice(2).join(', ')}] to [${output.slice(2).join(', ')}]: only output sizes that divide the input are supported` : undefined;
}

export const FAMILY: OpFamily = {
  name: 'Pooling',
  layers: [ConstantArithmetic, ConstantPadding],
  ops: {
    MaxPool2d: op(maxPool2d),
    MaxPool1d: op(maxPool1d),
    AvgPool2d: op(avgPool2d),
    AvgPool1d: op(avgPool1d),
    AdaptiveAvgPool2d: op(adaptiveAvgPool, checkAdaptive),
    AdaptiveAvgPool1d: op(adaptiveAvgPool, checkAdaptive),
    AdaptiveMaxPool2d: op(adaptiveMaxPool, checkAdaptive),
    'F.max_pool2d': op(maxPool2dFunction),
    'F.avg_pool2d': op(avgPool2dFunction),
    'F.adaptive_avg_pool2d': op(adaptiveAvgPool, checkAdaptive),
    'F.adaptive_avg_pool1d': op(adaptiveAvgPool, checkAdaptive),
    'F.adaptive_max_pool2d': op(adaptiveMaxPool, checkAdaptive),
  },
};
