// Convolutions. Keras runs them channels-last; PyTorch's symmetric padding only equals Keras
// 'same' at stride 1 with odd kernels (Keras/TF SAME pads the bottom/right first), so any other
// padding becomes an explicit zero padding followed by a 'valid' convolution.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { ConstantPadding, GroupedConv2D } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { channelsLastPerm } from '../layout.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { Unsupported, expand, literal, num, type OpNode } from '../op_node.ts';
import { checkWeightArgs, fillWeight, layerForWeights, present, requireTensor, tensorArgShape } from './functional.ts';
import { firstInput, nameFor, outputShape, pair } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

interface ConvSpec {
  readonly spatial: number;
  readonly kernel: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly padding: number[] | 'same';
  readonly groups: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly bias: boolean;
}

function convSpec(node: OpNode, ctx: BuildContext, spatial: number): ConvSpec {
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros') throw new Unsupported(`padding_mode '${String(mode)}' (only 'zeros' is supported)`);
  const rawPadding = node.attrs['padding'];
  const padding = rawPadding === 'same' ? 'same' : rawPadding === 'valid' ? new Array<number>(spatial).fill(0) : node.attrInts('padding', spatial);
  const module = ctx.graph.modules[node.node.module ?? ''];
  return {
    spatial,
    kernel: node.attrInts('kernel_size', spatial),
    stride: node.attrInts('stride', spatial),
    dilation: node.attrInts('dilation', spatial),
    padding,
    groups: node.attrNumber('groups'),
    inChannels: node.attrNumber('in_channels'),
    outChannels: node.attrNumber('out_channels'),
    bias: module?.parameters.includes('bias') ?? false,
  };
}

/** Keras padding mode plus the explicit padding to apply first (undefined: none needed). */
function kerasPadding(spec: ConvSpec): { mode: 'same' | 'valid'; explicit?: number[] } {
  if (spec.padding === 'same') return { mode: 'same' }; // PyTorch allows it at stride 1 only, where both pad total // 2 first
  const pads = spec.padding;
  if (pads.every((p) => p === 0)) return { mode: 'valid' };
  const sameEquivalent = spec.stride.every((s) => s === 1) && pads.every((p, i) => 2 * p === spec.dilation[i]! * (spec.kernel[i]! - 1));
  return sameEquivalent ? { mode: 'same' } : { mode: 'valid', explicit: pads };
}

/** Zero-pads the spatial axes of a channels-last value symmetrically by `pads`. */
function zeroPad(node: OpNode, ctx: BuildContext, x: KValue, pads: readonly number[], suffix = '__pad'): KValue {
  const shape = x.torchShape.map((dim, axis) => (axis >= 2 ? dim + 2 * pads[axis - 2]! : dim));
  const name = nameFor(node, ctx, suffix);
  const layer =
    pads.length === 2
      ? tf.layers.zeroPadding2d({ padding: [[pads[0]!, pads[0]!], [pads[1]!, pads[1]!]], name })
      : new ConstantPadding({ padding: pads.map((p) => [p, p] as [number, number]), value: 0, name });
  return ctx.apply(layer, x, shape, x.layout);
}

/** Builds the convolution of `spec` on the node's input, with `layerOf` giving (or reusing) its Keras layer. */
function convolve(node: OpNode, ctx: BuildContext, spec: ConvSpec, layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue[] {
  const rank = spec.spatial + 2;
  let x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(rank), node, 'convolutions run channels-last');
  const { mode, explicit } = kerasPadding(spec);
  if (explicit) x = zeroPad(node, ctx, x, explicit);
  const common = { strides: pair(spec.stride), padding: mode, dilationRate: pair(spec.dilation), useBias: spec.bias, kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  if (spec.spatial === 1 && spec.groups > 1) return [groupedConv1d(node, ctx, spec, x, mode, layerOf)];
  const depthwise = spec.groups > 1 && spec.groups === spec.inChannels;
  const layer = layerOf((name): tf.layers.Layer => {
    if (spec.spatial === 1) return tf.layers.conv1d({ ...common, filters: spec.outChannels, kernelSize: spec.kernel[0]!, strides: spec.stride[0]!, dilationRate: spec.dilation[0]!, name });
    if (depthwise) return tf.layers.depthwiseConv2d({ ...common, kernelSize: pair(spec.kernel), depthMultiplier: spec.outChannels / spec.inChannels, depthwiseInitializer: 'zeros', name });
    if (spec.groups > 1) return new GroupedConv2D({ filters: spec.outChannels, kernelSize: pair(spec.kernel), strides: pair(spec.stride), padding: mode, dilationRate: pair(spec.dilation), groups: spec.groups, useBias: spec.bias, name });
    return tf.layers.conv2d({ ...common, filters: spec.outChannels, kernelSize: pair(spec.kernel), name });
  });
  return [ctx.apply(layer, x, outputShape(node, ctx), x.layout)];
}

/**
 * A grouped (or depthwise) Conv1d, which Keras's Conv1D cannot express: the signal [N, C, L] as
 * the image [N, C, 1, L] (Keras [N, 1, L, C]: a reshape) through a GroupedConv2D with a 1 x k
 * kernel, reshaped back. PyTorch's (out, in / groups, k) weight with a leading unit axis,
 * permuted, is the (1, k, in / groups, out) kernel.
 */
function groupedConv1d(node: OpNode, ctx: BuildContext, spec: ConvSpec, x: KValue, mode: 'same' | 'valid', layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue {
  const [batch, channels, length] = x.torchShape as [number, number, number];
  const out = outputShape(node, ctx);
  const image = ctx.apply(tf.layers.reshape({ targetShape: [1, length, channels], name: nameFor(node, ctx, '__to_2d') }), x, [batch, channels, 1, length], { perm: channelsLastPerm(4) });
  const layer = layerOf((name) => new GroupedConv2D({ filters: spec.outChannels, kernelSize: [1, spec.kernel[0]!], strides: [1, spec.stride[0]!], padding: mode, dilationRate: [1, spec.dilation[0]!], groups: spec.groups, useBias: spec.bias, name }));
  ctx.fillFrom(layer.name, 'kernel', undefined, { kind: 'aligned', rank: 4, axes: [0, 3, 2, 1] });
  const y = ctx.apply(layer, image, [batch, out[1]!, 1, out[2]!], image.layout);
  return ctx.apply(tf.layers.reshape({ targetShape: [out[2]!, out[1]!], name: nameFor(node, ctx, '__to_1d') }), y, out, { perm: channelsLastPerm(3) });
}

function conv(node: OpNode, ctx: BuildContext, spatial: 1 | 2): KValue[] {
  return convolve(node, ctx, convSpec(node, ctx, spatial), (make) => ctx.sharedLayer(node.node.module!, make));
}

export const conv2d = (node: OpNode, ctx: BuildContext) => conv(node, ctx, 2);
export const conv1d = (node: OpNode, ctx: BuildContext) => conv(node, ctx, 1);

const CONV_SIGNATURE = ['input', 'weight', 'bias=', 'stride=', 'padding=', 'dilation=', 'groups='];

/** F.conv1d / F.conv2d(x, weight, bias, stride, padding, dilation, groups): the kernel sizes and channels come from the weight's shape. */
function functionalSpec(node: OpNode, ctx: BuildContext, spatial: 1 | 2): { spec: ConvSpec; weight: { param: string } | { constant: string }; bias: GraphArg | undefined } {
  const op = node.op === 'torch.conv1d' ? 'F.conv1d' : 'F.conv2d';
  const args = node.bind(CONV_SIGNATURE);
  checkWeightArgs(op, args, ['weight', 'bias']);
  const weight = requireTensor(op, args, 'weight', 'a convolution needs its kernel');
  const shape = tensorArgShape(node, ctx, weight);
  if (shape.length !== spatial + 2) throw new Unsupported(`${op} with a weight of shape [${shape.join(', ')}] (expected rank ${spatial + 2}: [out, in / groups, ${spatial === 1 ? 'k' : 'kh, kw'}])`);
  const ints = (key: string, fallback: number): number[] => {
    const value = literal(args[key], key);
    return value === undefined || value === null ? new Array<number>(spatial).fill(fallback) : expand(value, spatial, key);
  };
  const rawPadding = literal(args['padding'], 'padding');
  const groups = num(args['groups'], 'groups', 1);
  const spec: ConvSpec = {
    spatial,
    kernel: shape.slice(2),
    stride: ints('stride', 1),
    dilation: ints('dilation', 1),
    padding: rawPadding === 'same' ? 'same' : rawPadding === 'valid' ? new Array<number>(spatial).fill(0) : ints('padding', 0),
    groups,
    inChannels: shape[1]! * groups,
    outChannels: shape[0]!,
    bias: present(args['bias']),
  };
  return { spec, weight, bias: args['bias'] };
}

/** F.conv1d / F.conv2d with a parameter, buffer or constant weight (timm's StdConv2d, Conv2dSame ...). */
function functionalConv(node: OpNode, ctx: BuildContext, spatial: 1 | 2): KValue[] {
  const { spec, weight, bias } = functionalSpec(node, ctx, spatial);
  if (spatial === 1 && spec.groups !== 1) throw new Unsupported(`grouped F.conv1d (groups = ${spec.groups}) has no Keras equivalent here`);
  const config = JSON.stringify(spec);
  return convolve(node, ctx, spec, (make) => {
    const { layer, fresh } = layerForWeights(node, ctx, [weight, bias], config, make);
    if (fresh) {
      fillWeight(node, ctx, layer.name, spec.groups > 1 && spec.groups === spec.inChannels ? 'depthwise_kernel' : 'kernel', weight);
      fillWeight(node, ctx, layer.name, 'bias', bias);
    }
    return layer;
  });
}

export function checkFunctionalConv(node: OpNode): string | undefined {
  const args = node.bind(CONV_SIGNATURE);
  const op = node.op === 'torch.conv1d' ? 'F.conv1d' : 'F.conv2d';
  checkWeightArgs(op, args, ['weight', 'bias']);
  requireTensor(op, args, 'weight', 'a convolution needs its kernel');
  return undefined;
}

export function checkConv(node: OpNode): string | undefined {
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros') return `padding_mode '${String(mode)}' (only 'zeros' is supported)`;
  return undefined;
}

/**
 * ConvTranspose2d: Keras's 'valid' transposed convolution computes the full output
 * (in - 1) * stride + kernel (at least in * stride); PyTorch's is that minus `padding` on each
 * side plus `output_padding` at the bottom/right, so the Keras result is cropped to it.
 */
interface TransposeSpec {
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outChannels: number;
  readonly bias: boolean;
}

export function convTranspose2d(node: OpNode, ctx: BuildContext): KValue[] {
  const module = ctx.graph.modules[node.node.module ?? ''];
  const spec = { kernel: node.attrInts('kernel_size', 2), stride: node.attrInts('stride', 2), padding: node.attrInts('padding', 2), outChannels: node.attrNumber('out_channels'), bias: module?.parameters.includes('bias') ?? false };
  return transposedConvolution(node, ctx, spec, (make) => ctx.sharedLayer(node.node.module!, make));
}

function transposedConvolution(node: OpNode, ctx: BuildContext, spec: TransposeSpec, layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue[] {
  const { kernel, stride, padding } = spec;
  const out = outputShape(node, ctx);
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(4), node, 'convolutions run channels-last');
  const layer = layerOf((name) => tf.layers.conv2dTranspose({ filters: spec.outChannels, kernelSize: pair(kernel), strides: pair(stride), padding: 'valid', useBias: spec.bias, kernelInitializer: 'zeros', name }));
  const full = [0, 1].map((i) => x.torchShape[i + 2]! * stride[i]! + Math.max(kernel[i]! - stride[i]!, 0));
  const crop = [0, 1].map((i) => [padding[i]!, full[i]! - padding[i]! - out[i + 2]!] as [number, number]);
  if (crop.some(([, after]) => after < 0)) node.fail(`output_padding larger than padding + (stride - kernel) cannot be expressed by cropping`);
  const y = ctx.apply(layer, x, [out[0]!, out[1]!, full[0]!, full[1]!], x.layout);
  if (crop.every(([a, b]) => a === 0 && b === 0)) return [y];
  return [ctx.apply(tf.layers.cropping2D({ cropping: [crop[0]!, crop[1]!], name: nameFor(node, ctx, '__crop') }), y, out, y.layout)];
}

const CONV_TRANSPOSE_SIGNATURE = ['input', 'weight', 'bias=', 'stride=', 'padding=', 'output_padding=', 'groups=', 'dilation='];

/** F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation) with a parameter, buffer or constant weight (in, out, kh, kw). */
function functionalConvTranspose2d(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(CONV_TRANSPOSE_SIGNATURE);
  const weight = requireTensor('F.conv_transpose2d', args, 'weight', 'a transposed convolution needs its kernel');
  const shape = tensorArgShape(node, ctx, weight);
  if (shape.length !== 4) throw new Unsupported(`F.conv_transpose2d with a weight of shape [${shape.join(', ')}] (expected [in, out / groups, kh, kw])`);
  const ints = (key: string, fallback: number): number[] => {
    const value = literal(args[key], key);
    return value === undefined || value === null ? [fallback, fallback] : expand(value, 2, key);
  };
  if (num(args['groups'], 'groups', 1) !== 1) throw new Unsupported(`grouped F.conv_transpose2d (groups = ${num(args['groups'], 'groups', 1)})`);
  if (ints('dilation', 1).some((d) => d !== 1)) throw new Unsupported('dilated F.conv_transpose2d');
  const spec = { kernel: shape.slice(2), stride: ints('stride', 1), padding: ints('padding', 0), outChannels: shape[1]!, bias: present(args['bias']) };
  return transposedConvolution(node, ctx, spec, (make) => {
    const { layer, fresh } = layerForWeights(node, ctx, [weight, args['bias']], JSON.stringify(spec), make);
    if (fresh) {
      fillWeight(node, ctx, layer.name, 'kernel', weight);
      fillWeight(node, ctx, layer.name, 'bias', args['bias']);
    }
    return layer;
  });
}

export function checkFunctionalConvTranspose(node: OpNode): string | undefined {
  const args = node.bind(CONV_TRANSPOSE_SIGNATURE);
  checkWeightArgs('F.conv_transpose2d', args, ['weight', 'bias']);
  requireTensor('F.conv_transpose2d', args, 'weight', 'a transposed convolution needs its kernel');
  return undefined;
}

export function checkConvTranspose(node: OpNode): string | undefined {
  if (node.attrNumber('groups') !== 1) return `grouped ConvTranspose2d (groups = ${node.attrNumber('groups')})`;
  if (node.attrInts('dilation', 2).some((d) => d !== 1)) return `dilated ConvTranspose2d`;
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros') return `padding_mode '${String(mode)}'`;
  return undefined;
}

export const FAMILY: OpFamily = {
  name: 'Convolutions',
  layers: [GroupedConv2D, ConstantPadding],
  ops: {
    Conv2d: op(conv2d, checkConv),
    Conv1d: op(conv1d, checkConv),
    ConvTranspose2d: op(convTranspose2d, checkConvTranspose),
    ...spellings(['F.conv2d', 'torch.conv2d'], op((node, ctx) => functionalConv(node, ctx, 2), checkFunctionalConv)),
    ...spellings(['F.conv_transpose2d', 'torch.conv_transpose2d'], op(functionalConvTranspose2d, checkFunctionalConvTranspose)),
    ...spellings(['F.conv1d', 'torch.conv1d'], op((node, ctx) => functionalConv(node, ctx, 1), checkFunctionalConv)),
  },
};
