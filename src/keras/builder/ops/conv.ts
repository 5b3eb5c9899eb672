// Convolutions. Keras runs them channels-last; PyTorch's symmetric padding only equals Keras
// 'same' at stride 1 with odd kernels (Keras/TF SAME pads the bottom/right first), so any other
// padding becomes an explicit zero padding followed by a 'valid' convolution. Grouped 3-D and
// transposed convolutions, which neither Keras nor TFLite has, run as the ungrouped layer with the
// block-diagonal kernel (exact: the zeros add nothing; `groups` times the multiply-adds).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { ConstantPadding, GroupedConv2D, Slice } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { channelsLastPerm } from '../layout.ts';
import type { GraphArg } from '../../../torch/index.ts';
import type { WeightLayout } from '../../transfer/layouts.ts';
import { Unsupported, expand, literal, num, type OpNode } from '../op_node.ts';
import { checkWeightArgs, fillWeight, layerForWeights, present, requireTensor, tensorArgShape } from './functional.ts';
import { firstInput, nameFor, outputShape, pair } from './common.ts';
import { padByMap, type Mode } from './pad.ts';
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
  /** Conv1d / 2d / 3d padding_mode other than 'zeros': the input is padded so first (padByMap), then convolved unpadded. */
  readonly padMode?: 'reflect' | 'replicate' | 'circular';
}

const PAD_MODES = ['reflect', 'replicate', 'circular'] as const;

function convSpec(node: OpNode, ctx: BuildContext, spatial: number): ConvSpec {
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros' && !PAD_MODES.includes(mode as never)) throw new Unsupported(`padding_mode '${String(mode)}' (one of zeros, ${PAD_MODES.join(', ')})`);
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
    ...(mode !== undefined && mode !== 'zeros' ? { padMode: mode as (typeof PAD_MODES)[number] } : {}),
  };
}

/**
 * PyTorch's padding_mode other than 'zeros': F.pad(x, padding, mode) then the convolution with no
 * padding. 'same' pads total // 2 before and the rest after, as PyTorch does.
 */
function padFirst(node: OpNode, ctx: BuildContext, spec: ConvSpec & { padMode: Mode }): { x: KValue; spec: ConvSpec } {
  const x = firstInput(node, ctx);
  const spatialPads = spec.kernel.map((k, i): [number, number] => {
    if (spec.padding !== 'same') return [spec.padding[i]!, spec.padding[i]!];
    const total = spec.dilation[i]! * (k - 1);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  const perAxis: [number, number][] = [[0, 0], [0, 0], ...spatialPads];
  const shape = x.torchShape.map((dim, axis) => dim + perAxis[axis]![0] + perAxis[axis]![1]);
  const padded = padByMap(node, ctx, x, spec.padMode, 0, perAxis, shape);
  const { padMode: _, ...rest } = spec;
  return { x: padded, spec: { ...rest, padding: new Array<number>(spec.spatial).fill(0) } };
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
      ? tf.layers.zeroPadding2d({
          padding: [
            [pads[0]!, pads[0]!],
            [pads[1]!, pads[1]!],
          ],
          name,
        })
      : new ConstantPadding({ padding: pads.map((p) => [p, p] as [number, number]), value: 0, name });
  return ctx.apply(layer, x, shape, x.layout);
}

/** Builds the convolution of `spec` on the node's input, with `layerOf` giving (or reusing) its Keras layer. */
function convolve(node: OpNode, ctx: BuildContext, given: ConvSpec, layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue[] {
  const rank = given.spatial + 2;
  const { x: input, spec } = given.padMode !== undefined ? padFirst(node, ctx, { ...given, padMode: given.padMode }) : { x: firstInput(node, ctx), spec: given };
  let x = ctx.relayout(input, channelsLastPerm(rank), node, 'convolutions run channels-last');
  const { mode, explicit } = kerasPadding(spec);
  if (explicit) x = zeroPad(node, ctx, x, explicit);
  const common = { strides: pair(spec.stride), padding: mode, dilationRate: pair(spec.dilation), useBias: spec.bias, kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  if (spec.spatial === 1 && spec.groups > 1) return [groupedConv1d(node, ctx, spec, x, mode, layerOf)];
  if (spec.spatial === 3) {
    const layer = layerOf((name) =>
      tf.layers.conv3d({ ...common, filters: spec.outChannels, kernelSize: triple(spec.kernel), strides: triple(spec.stride), dilationRate: triple(spec.dilation), name }),
    );
    return [ctx.apply(layer, x, outputShape(node, ctx), x.layout)];
  }
  const depthwise = spec.groups > 1 && spec.groups === spec.inChannels;
  const layer = layerOf((name): tf.layers.Layer => {
    if (spec.spatial === 1) return tf.layers.conv1d({ ...common, filters: spec.outChannels, kernelSize: spec.kernel[0]!, strides: spec.stride[0]!, dilationRate: spec.dilation[0]!, name });
    if (depthwise) return tf.layers.depthwiseConv2d({ ...common, kernelSize: pair(spec.kernel), depthMultiplier: spec.outChannels / spec.inChannels, depthwiseInitializer: 'zeros', name });
    if (spec.groups > 1)
      return new GroupedConv2D({
        filters: spec.outChannels,
        kernelSize: pair(spec.kernel),
        strides: pair(spec.stride),
        padding: mode,
        dilationRate: pair(spec.dilation),
        groups: spec.groups,
        useBias: spec.bias,
        name,
      });
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
  const layer = layerOf(
    (name) =>
      new GroupedConv2D({
        filters: spec.outChannels,
        kernelSize: [1, spec.kernel[0]!],
        strides: [1, spec.stride[0]!],
        padding: mode,
        dilationRate: [1, spec.dilation[0]!],
        groups: spec.groups,
        useBias: spec.bias,
        name,
      }),
  );
  ctx.fillFrom(layer.name, 'kernel', undefined, { kind: 'aligned', rank: 4, axes: [0, 3, 2, 1] });
  const y = ctx.apply(layer, image, [batch, out[1]!, 1, out[2]!], image.layout);
  return ctx.apply(tf.layers.reshape({ targetShape: [out[2]!, out[1]!], name: nameFor(node, ctx, '__to_1d') }), y, out, { perm: channelsLastPerm(3) });
}

const triple = (values: readonly number[]): [number, number, number] => [values[0]!, values[1]!, values[2]!];

/**
 * How PyTorch's kernel fills the Keras kernel when the Keras layer has no `groups` (Conv3D,
 * Conv2DTranspose, Conv3DTranspose): block-diagonally (undefined: the layer's own rule).
 * Conv3d (out, in / g, kd, kh, kw) -> (kd, kh, kw, in, out): in / g widens, grouped by out.
 * ConvTranspose (in, out / g, k...) -> (k..., out, in): out / g widens, grouped by in.
 */
function groupedKernel(spatial: number, groups: number): WeightLayout | undefined {
  if (groups === 1) return undefined;
  const axes = [...Array.from({ length: spatial }, (_, i) => i + 2), 1, 0];
  return { kind: 'blockDiagonal', axes, groups, narrow: spatial, full: spatial + 1 };
}

function conv(node: OpNode, ctx: BuildContext, spatial: 1 | 2 | 3): KValue[] {
  const spec = convSpec(node, ctx, spatial);
  return convolve(node, ctx, spec, (make) => {
    const layer = ctx.sharedLayer(node.node.module!, make);
    if (spatial === 3 && spec.groups > 1) ctx.fillFrom(layer.name, 'kernel', undefined, groupedKernel(3, spec.groups));
    return layer;
  });
}

export const conv2d = (node: OpNode, ctx: BuildContext) => conv(node, ctx, 2);
export const conv1d = (node: OpNode, ctx: BuildContext) => conv(node, ctx, 1);
export const conv3d = (node: OpNode, ctx: BuildContext) => conv(node, ctx, 3);

const CONV_SIGNATURE = ['input', 'weight', 'bias=', 'stride=', 'padding=', 'dilation=', 'groups='];

/** F.conv1d / F.conv2d(x, weight, bias, stride, padding, dilation, groups): the kernel sizes and channels come from the weight's shape. */
const functionalName = (node: OpNode, kind: 'conv' | 'conv_transpose'): string => `F.${kind}${/\d+d$/.exec(node.op)?.[0] ?? '2d'}`;

function functionalSpec(node: OpNode, ctx: BuildContext, spatial: 1 | 2 | 3): { spec: ConvSpec; weight: { param: string } | { constant: string }; bias: GraphArg | undefined } {
  const op = functionalName(node, 'conv');
  const args = node.bind(CONV_SIGNATURE);
  checkWeightArgs(op, args, ['weight', 'bias']);
  const weight = requireTensor(op, args, 'weight', 'a convolution needs its kernel');
  const shape = tensorArgShape(node, ctx, weight);
  if (shape.length !== spatial + 2)
    throw new Unsupported(`${op} with a weight of shape [${shape.join(', ')}] (expected rank ${spatial + 2}: [out, in / groups, ${['k', 'kh, kw', 'kd, kh, kw'][spatial - 1]}])`);
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
function functionalConv(node: OpNode, ctx: BuildContext, spatial: 1 | 2 | 3): KValue[] {
  const { spec, weight, bias } = functionalSpec(node, ctx, spatial);
  if (spatial === 1 && spec.groups !== 1) throw new Unsupported(`grouped F.conv1d (groups = ${spec.groups}) has no Keras equivalent here`);
  const config = JSON.stringify(spec);
  return convolve(node, ctx, spec, (make) => {
    const { layer, fresh } = layerForWeights(node, ctx, [weight, bias], config, make);
    if (fresh) {
      const depthwise = spatial === 2 && spec.groups > 1 && spec.groups === spec.inChannels;
      fillWeight(node, ctx, layer.name, depthwise ? 'depthwise_kernel' : 'kernel', weight, spatial === 3 ? groupedKernel(3, spec.groups) : undefined);
      fillWeight(node, ctx, layer.name, 'bias', bias);
    }
    return layer;
  });
}

export function checkFunctionalConv(node: OpNode): string | undefined {
  const args = node.bind(CONV_SIGNATURE);
  const op = functionalName(node, 'conv');
  checkWeightArgs(op, args, ['weight', 'bias']);
  requireTensor(op, args, 'weight', 'a convolution needs its kernel');
  return undefined;
}

export function checkConv(node: OpNode): string | undefined {
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros' && !PAD_MODES.includes(mode as never)) return `padding_mode '${String(mode)}' (one of zeros, ${PAD_MODES.join(', ')})`;
  return undefined;
}

/**
 * ConvTranspose2d / 3d: Keras's 'valid' transposed convolution computes the full output
 * (in - 1) * stride + kernel (at least in * stride); PyTorch's is that minus `padding` on each
 * side plus `output_padding` at the end, so the Keras result is cropped to it. Grouped ones use
 * the block-diagonal kernel (groupedKernel).
 */
interface TransposeSpec {
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outChannels: number;
  readonly groups: number;
  readonly bias: boolean;
}

function convTranspose(node: OpNode, ctx: BuildContext, spatial: 1 | 2 | 3): KValue[] {
  const module = ctx.graph.modules[node.node.module ?? ''];
  const groups = node.attrNumber('groups');
  const dilation = node.attrInts('dilation', spatial);
  const spec = {
    kernel: dilatedKernel(node.attrInts('kernel_size', spatial), dilation),
    stride: node.attrInts('stride', spatial),
    padding: node.attrInts('padding', spatial),
    outChannels: node.attrNumber('out_channels'),
    groups,
    bias: module?.parameters.includes('bias') ?? false,
  };
  return transposedConvolution(node, ctx, spec, (make) => {
    const layer = ctx.sharedLayer(node.node.module!, make);
    const layout = kernelLayout(spatial, groups, dilation);
    if (layout !== undefined) ctx.fillFrom(layer.name, 'kernel', undefined, layout);
    return layer;
  });
}

/**
 * A dilated transposed convolution is an ordinary one whose kernel has d - 1 zeros between taps
 * (TFLite's TRANSPOSE_CONV has no dilation): the kernel size (k - 1) * d + 1, zeros filled in at
 * the weight transfer.
 */
const dilatedKernel = (kernel: readonly number[], dilation: readonly number[]): number[] => kernel.map((k, i) => (k - 1) * (dilation[i] ?? 1) + 1);

/** How a ConvTranspose kernel (in, out / g, k...) fills Keras's (k..., out, in): grouped, dilated, or the layer's own rule (undefined). */
function kernelLayout(spatial: number, groups: number, dilation: readonly number[]): WeightLayout | undefined {
  // 1-D: (in, out, k) with a leading unit axis, permuted, is Conv2DTranspose's (1, k, out, in) (grouped and dilated refused).
  if (spatial === 1) return { kind: 'aligned', rank: 4, axes: [0, 3, 2, 1] };
  if (dilation.every((d) => d === 1)) return groupedKernel(spatial, groups);
  return { kind: 'dilated', dilation, axes: [...Array.from({ length: spatial }, (_, i) => i + 2), 1, 0] };
}

export const convTranspose1d = (node: OpNode, ctx: BuildContext) => convTranspose(node, ctx, 1);
export const convTranspose2d = (node: OpNode, ctx: BuildContext) => convTranspose(node, ctx, 2);
export const convTranspose3d = (node: OpNode, ctx: BuildContext) => convTranspose(node, ctx, 3);

function transposedConvolution(node: OpNode, ctx: BuildContext, spec: TransposeSpec, layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue[] {
  const spatial = spec.kernel.length;
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(spatial + 2), node, 'convolutions run channels-last');
  if (spatial !== 1) return [transposedOn(node, ctx, spec, x, outputShape(node, ctx), layerOf)];
  // ConvTranspose1d: the signal [N, C, L] as the image [N, C, 1, L] (Keras [N, 1, L, C]: a reshape)
  // through a Conv2DTranspose with a 1 x k kernel, reshaped back (as groupedConv1d does for Conv1d).
  const [batch, channels, length] = x.torchShape as [number, number, number];
  const out = outputShape(node, ctx);
  const image = ctx.apply(tf.layers.reshape({ targetShape: [1, length, channels], name: nameFor(node, ctx, '__to_2d') }), x, [batch, channels, 1, length], { perm: channelsLastPerm(4) });
  const spec2 = { ...spec, kernel: [1, spec.kernel[0]!], stride: [1, spec.stride[0]!], padding: [0, spec.padding[0]!] };
  const y = transposedOn(node, ctx, spec2, image, [batch, out[1]!, 1, out[2]!], layerOf);
  return [ctx.apply(tf.layers.reshape({ targetShape: [out[2]!, out[1]!], name: nameFor(node, ctx, '__to_1d') }), y, out, { perm: channelsLastPerm(3) })];
}

/** The transposed convolution of the channels-last `x` to PyTorch shape `out` (2-D or 3-D), cropped to PyTorch's padding. */
function transposedOn(node: OpNode, ctx: BuildContext, spec: TransposeSpec, x: KValue, out: readonly number[], layerOf: (make: (name: string) => tf.layers.Layer) => tf.layers.Layer): KValue {
  const { kernel, stride, padding } = spec;
  const spatial = kernel.length;
  const axes = Array.from({ length: spatial }, (_, i) => i);
  const common = { filters: spec.outChannels, padding: 'valid', useBias: spec.bias, kernelInitializer: 'zeros' } as const;
  const layer = layerOf((name) =>
    spatial === 2
      ? tf.layers.conv2dTranspose({ ...common, kernelSize: pair(kernel), strides: pair(stride), name })
      : tf.layers.conv3dTranspose({ ...common, kernelSize: triple(kernel), strides: triple(stride), name }),
  );
  const full = axes.map((i) => x.torchShape[i + 2]! * stride[i]! + Math.max(kernel[i]! - stride[i]!, 0));
  const crop = axes.map((i) => [padding[i]!, full[i]! - padding[i]! - out[i + 2]!] as [number, number]);
  if (crop.some(([, after]) => after < 0)) node.fail(`output_padding larger than padding + (stride - kernel) cannot be expressed by cropping`);
  const y = ctx.apply(layer, x, [out[0]!, out[1]!, ...full], x.layout);
  if (crop.every(([a, b]) => a === 0 && b === 0)) return y;
  const name = nameFor(node, ctx, '__crop');
  const cropping =
    spatial === 2 ? tf.layers.cropping2D({ cropping: [crop[0]!, crop[1]!], name }) : new Slice({ begin: [...crop.map(([before]) => before), 0], size: [...out.slice(2), out[1]!], name });
  return ctx.apply(cropping, y, [...out], y.layout);
}

const CONV_TRANSPOSE_SIGNATURE = ['input', 'weight', 'bias=', 'stride=', 'padding=', 'output_padding=', 'groups=', 'dilation='];

/** F.conv_transpose2d / 3d(x, weight, bias, stride, padding, output_padding, groups, dilation) with a parameter, buffer or constant weight (in, out / groups, k...). */
function functionalConvTranspose(node: OpNode, ctx: BuildContext, spatial: 1 | 2 | 3): KValue[] {
  const op = functionalName(node, 'conv_transpose');
  const args = node.bind(CONV_TRANSPOSE_SIGNATURE);
  const weight = requireTensor(op, args, 'weight', 'a transposed convolution needs its kernel');
  const shape = tensorArgShape(node, ctx, weight);
  if (shape.length !== spatial + 2) throw new Unsupported(`${op} with a weight of shape [${shape.join(', ')}] (expected [in, out / groups, ${['k', 'kh, kw', 'kd, kh, kw'][spatial - 1]}])`);
  const ints = (key: string, fallback: number): number[] => {
    const value = literal(args[key], key);
    return value === undefined || value === null ? new Array<number>(spatial).fill(fallback) : expand(value, spatial, key);
  };
  const groups = num(args['groups'], 'groups', 1);
  const dilation = ints('dilation', 1);
  if (groups > 1 && dilation.some((d) => d !== 1))
    throw new Unsupported(
      `a grouped and dilated ${op} (TFLite's transposed convolutions have no dilation, and a grouped kernel is not dilated at transfer): dilate the kernel with zeros and pass dilation=1`,
    );
  if (spatial === 1 && (groups > 1 || dilation[0] !== 1)) throw new Unsupported(ONE_D_TRANSPOSE(op));
  const spec = { kernel: dilatedKernel(shape.slice(2), dilation), stride: ints('stride', 1), padding: ints('padding', 0), outChannels: shape[1]! * groups, groups, bias: present(args['bias']) };
  return transposedConvolution(node, ctx, spec, (make) => {
    const { layer, fresh } = layerForWeights(node, ctx, [weight, args['bias']], JSON.stringify(spec), make);
    if (fresh) {
      fillWeight(node, ctx, layer.name, 'kernel', weight, kernelLayout(spatial, groups, dilation));
      fillWeight(node, ctx, layer.name, 'bias', args['bias']);
    }
    return layer;
  });
}

export function checkFunctionalConvTranspose(node: OpNode): string | undefined {
  const op = functionalName(node, 'conv_transpose');
  const args = node.bind(CONV_TRANSPOSE_SIGNATURE);
  checkWeightArgs(op, args, ['weight', 'bias']);
  requireTensor(op, args, 'weight', 'a transposed convolution needs its kernel');
  return undefined;
}

const ONE_D_TRANSPOSE = (op: string): string =>
  `a grouped or dilated ${op} (the 1-D transposed convolution runs as a 2-D one whose kernel is not grouped or dilated at transfer): build it with groups=1 and dilation=1`;

export function checkConvTranspose(node: OpNode): string | undefined {
  const spatial = node.op.endsWith('3d') ? 3 : node.op.endsWith('1d') ? 1 : 2;
  if (spatial === 1 && (node.attrNumber('groups') > 1 || node.attrInts('dilation', 1)[0] !== 1)) return ONE_D_TRANSPOSE(node.op);
  if (node.attrNumber('groups') > 1 && node.attrInts('dilation', spatial).some((d) => d !== 1))
    return `a grouped and dilated ${node.op} (TFLite's transposed convolutions have no dilation, and a grouped kernel is not dilated at transfer): build it with dilation=1, or dilate the kernel with zeros yourself`;
  const mode = node.attrs['padding_mode'];
  if (mode !== undefined && mode !== 'zeros') return `padding_mode '${String(mode)}'`;
  return undefined;
}

export const FAMILY: OpFamily = {
  name: 'Convolutions',
  layers: [GroupedConv2D, ConstantPadding, Slice],
  ops: {
    Conv2d: op(conv2d, checkConv),
    Conv1d: op(conv1d, checkConv),
    Conv3d: op(conv3d, checkConv),
    ConvTranspose1d: op(convTranspose1d, checkConvTranspose),
    ConvTranspose2d: op(convTranspose2d, checkConvTranspose),
    ConvTranspose3d: op(convTranspose3d, checkConvTranspose),
    ...spellings(
      ['F.conv2d', 'torch.conv2d'],
      op((node, ctx) => functionalConv(node, ctx, 2), checkFunctionalConv),
    ),
    ...spellings(
      ['F.conv_transpose1d', 'torch.conv_transpose1d'],
      op((node, ctx) => functionalConvTranspose(node, ctx, 1), checkFunctionalConvTranspose),
    ),
    ...spellings(
      ['F.conv_transpose2d', 'torch.conv_transpose2d'],
      op((node, ctx) => functionalConvTranspose(node, ctx, 2), checkFunctionalConvTranspose),
    ),
    ...spellings(
      ['F.conv_transpose3d', 'torch.conv_transpose3d'],
      op((node, ctx) => functionalConvTranspose(node, ctx, 3), checkFunctionalConvTranspose),
    ),
    ...spellings(
      ['F.conv3d', 'torch.conv3d'],
      op((node, ctx) => functionalConv(node, ctx, 3), checkFunctionalConv),
    ),
    ...spellings(
      ['F.conv1d', 'torch.conv1d'],
      op((node, ctx) => functionalConv(node, ctx, 1), checkFunctionalConv),
    ),
  },
};
