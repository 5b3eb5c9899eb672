// Normalization layers. BatchNorm normalizes PyTorch axis 1 wherever the layout put it (the last
// Keras axis for channels-last maps); LayerNorm normalizes PyTorch's trailing axes (kept trailing
// and in order in Keras, so gamma keeps PyTorch's layout); GroupNorm and InstanceNorm normalize
// groups of the channel axis (kept last in Keras) with every spatial axis.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { KerasLayerConfigError } from '../../layers/index.ts';
import { IDENTITY, type LayerRule } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import type { LowerableLayer } from '../family.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { channelsLastPerm, identityPerm, kerasShapeOf } from '../layout.ts';
import { Unsupported, bool, literal, num, type OpNode } from '../op_node.ts';
import { checkWeightArgs, fillWeight, layerForWeights, present, requireTensor } from './functional.ts';
import { firstInput, nameFor, outputShape } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

/** BatchNorm normalizes PyTorch axis 1: put it on the last Keras axis (the TFLite lowering's per-channel affine map). */
function channelAxisLast(node: OpNode, ctx: BuildContext, x: KValue): KValue {
  const plain = ctx.plain(x, node);
  const rank = plain.torchShape.length;
  if (rank < 2) throw new Unsupported(`batch normalization of a rank-${rank} tensor (it needs [N, C, ...])`);
  if (plain.layout.perm[rank - 1] === 1) return plain;
  return ctx.relayout(plain, [...plain.layout.perm.filter((a) => a !== 1), 1], node, 'batch normalization scales the channel axis, kept last');
}

/**
 * Applies a BatchNormalization layer (channels last). tfjs implements it up to rank 4 only: a
 * volume [N, D, H, W, C] is normalized as [N, D * H, W, C] (per channel, so any grouping of the
 * other axes gives the same result) between two reshapes.
 */
function applyBatchNorm(node: OpNode, ctx: BuildContext, layer: tf.layers.Layer, x: KValue): KValue {
  const rank = x.torchShape.length;
  if (rank <= 4) return ctx.apply(layer, x, x.torchShape, x.layout);
  const keras = kerasShapeOf(x.torchShape, x.layout.perm);
  const merged = [keras[0]!, keras.slice(1, rank - 2).reduce((a, b) => a * b, 1), keras[rank - 2]!, keras[rank - 1]!];
  const flat = ctx.apply(tf.layers.reshape({ targetShape: merged.slice(1), name: nameFor(node, ctx, '__to_rank4') }), x, merged, { perm: identityPerm(4) });
  const normalized = ctx.apply(layer, flat, merged, flat.layout);
  return ctx.apply(tf.layers.reshape({ targetShape: keras.slice(1), name: nameFor(node, ctx, '__from_rank4') }), normalized, x.torchShape, x.layout);
}

export function batchNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const x = channelAxisLast(node, ctx, firstInput(node, ctx));
  const module = node.node.module!;
  const epsilon = node.attrNumber('eps');
  ctx.epsilons[module] = epsilon;
  const affine = node.attrs['affine'] !== false;
  const layer = ctx.sharedLayer(module, (name) => tf.layers.batchNormalization({ axis: -1, epsilon, center: affine, scale: affine, name }));
  return [applyBatchNorm(node, ctx, layer, x)];
}

export function checkBatchNorm(node: OpNode): string | undefined {
  if (node.attrs['track_running_stats'] === false) return 'BatchNorm without running statistics normalizes with batch statistics at inference; there is no Keras inference equivalent';
  return undefined;
}

const BATCH_NORM_SIGNATURE = ['input', 'running_mean', 'running_var', 'weight=', 'bias=', 'training=', 'momentum=', 'eps='];

export function checkFunctionalBatchNorm(node: OpNode): string | undefined {
  const args = node.bind(BATCH_NORM_SIGNATURE);
  if (bool(args['training'], 'training', false))
    return "F.batch_norm with training=True normalizes with the batch's own statistics: call model.eval() before converting (the running statistics are used at inference)";
  for (const key of ['running_mean', 'running_var']) requireTensor('F.batch_norm', args, key, 'inference needs the running statistics (a buffer or a constant tensor)');
  checkWeightArgs('F.batch_norm', args, ['weight', 'bias']);
  return undefined;
}

/**
 * F.batch_norm(x, running_mean, running_var, weight, bias, training=False, momentum, eps), e.g.
 * from timm's BatchNormAct2d: Keras BatchNormalization filled from the call's arguments.
 */
export function functionalBatchNorm(node: OpNode, ctx: BuildContext, bound?: Readonly<Record<string, GraphArg | undefined>>): KValue[] {
  const args = bound ?? node.bind(BATCH_NORM_SIGNATURE);
  const x = channelAxisLast(node, ctx, firstInput(node, ctx));
  const epsilon = num(args['eps'], 'eps', 1e-5);
  const [scale, center] = [present(args['weight']), present(args['bias'])];
  const weights = [args['running_mean'], args['running_var'], args['weight'], args['bias']];
  const { layer, fresh } = layerForWeights(node, ctx, weights, `rank ${x.torchShape.length}, eps ${epsilon}`, (name) => tf.layers.batchNormalization({ axis: -1, epsilon, center, scale, name }));
  if (fresh) {
    ctx.epsilons[layer.name] = epsilon;
    (['moving_mean', 'moving_variance', 'gamma', 'beta'] as const).forEach((weight, i) => fillWeight(node, ctx, layer.name, weight, weights[i]));
  }
  return [applyBatchNorm(node, ctx, layer, x)];
}

/** The input with its last `count` PyTorch axes last in Keras, in PyTorch's order. */
function trailingLast(node: OpNode, ctx: BuildContext, x: KValue, count: number): KValue {
  const rank = x.torchShape.length;
  if (count >= rank) throw new Unsupported(`normalizing ${count} axes of a rank-${rank} tensor would mix the batch's samples (normalize the axes after the batch only)`);
  const plain = ctx.plain(x, node);
  const first = rank - count;
  const perm = [...plain.layout.perm.filter((a) => a < first), ...Array.from({ length: count }, (_, i) => first + i)];
  return ctx.relayout(plain, perm, node, 'layer norm normalizes the trailing axes');
}

function normalizedShape(value: unknown): number[] {
  const shape = typeof value === 'number' ? [value] : Array.isArray(value) ? value : undefined;
  if (!shape || shape.some((d) => typeof d !== 'number')) throw new Unsupported(`normalized_shape ${JSON.stringify(value)} (a list of integers is expected)`);
  return shape as number[];
}

export function layerNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const shape = normalizedShape(node.attrs['normalized_shape']);
  const module = node.node.module!;
  const affine = node.attrs['elementwise_affine'] !== false;
  const x = trailingLast(node, ctx, firstInput(node, ctx), shape.length);
  const epsilon = node.attrNumber('eps');
  if (shape.length === 1) {
    // Keras's own LayerNormalization (a model.h5 other Keras tools load without torchport's layers).
    ctx.epsilons[module] = epsilon;
    const layer = ctx.sharedLayer(module, (name) => tf.layers.layerNormalization({ axis: -1, epsilon, center: affine, scale: affine, name }));
    return [ctx.apply(layer, x, x.torchShape, x.layout)];
  }
  const layer = ctx.sharedLayer(module, (name) => new TorchNorm({ mode: 'trailing', count: shape.length, epsilon, paramShape: affine ? shape : null, name }));
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export function checkLayerNorm(node: OpNode): string | undefined {
  normalizedShape(node.attrs['normalized_shape']);
  return undefined;
}

const LAYER_NORM_SIGNATURE = ['input', 'normalized_shape', 'weight=', 'bias=', 'eps='];

export function functionalLayerNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(LAYER_NORM_SIGNATURE);
  checkWeightArgs('F.layer_norm', args, ['weight', 'bias']);
  const shape = normalizedShape(literal(args['normalized_shape'], 'normalized_shape'));
  const x = trailingLast(node, ctx, firstInput(node, ctx), shape.length);
  const epsilon = num(args['eps'], 'eps', 1e-5);
  const [scale, center] = [present(args['weight']), present(args['bias'])];
  const make = (name: string) => new TorchNorm({ mode: 'trailing', count: shape.length, epsilon, paramShape: scale || center ? shape : null, scale, center, name });
  return [applyAffineNorm(node, ctx, x, args, `shape [${x.torchShape.join(', ')}], eps ${epsilon}`, make)];
}

/** A functional normalization's layer, shared by calls with the same weight / bias arguments, which fill gamma / beta. */
function applyAffineNorm(node: OpNode, ctx: BuildContext, x: KValue, args: Readonly<Record<string, GraphArg | undefined>>, config: string, make: (name: string) => TorchNorm): KValue {
  const { layer, fresh } = layerForWeights(node, ctx, [args['weight'], args['bias']], config, make);
  if (fresh) {
    fillWeight(node, ctx, layer.name, 'gamma', args['weight']);
    fillWeight(node, ctx, layer.name, 'beta', args['bias']);
  }
  return ctx.apply(layer, x, x.torchShape, x.layout);
}

/** Groups of the channel axis (PyTorch axis 1), normalized with every axis after it; the input channels-last. */
function groupNormInput(node: OpNode, ctx: BuildContext, groups: number): KValue {
  const input = firstInput(node, ctx);
  const rank = input.torchShape.length;
  if (rank < 2) throw new Unsupported(`a rank-${rank} input (GroupNorm / InstanceNorm need [N, C, ...])`);
  const channels = input.torchShape[1]!;
  if (channels % groups !== 0) throw new Unsupported(`${channels} channels in ${groups} groups (the channels must divide into the groups)`);
  return ctx.relayout(input, channelsLastPerm(rank), node, 'group normalization runs channels-last');
}

const groupNormMaker =
  (x: KValue, groups: number, epsilon: number, affine: { scale: boolean; center: boolean }) =>
  (name: string): TorchNorm =>
    new TorchNorm({ mode: 'grouped', count: groups, epsilon, paramShape: affine.scale || affine.center ? [x.torchShape[1]!] : null, ...affine, name });

export function groupNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const affine = node.attrs['affine'] !== false;
  const groups = node.attrNumber('num_groups');
  const x = groupNormInput(node, ctx, groups);
  const layer = ctx.sharedLayer(node.node.module!, groupNormMaker(x, groups, node.attrNumber('eps'), { scale: affine, center: affine }));
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export function functionalGroupNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'num_groups', 'weight=', 'bias=', 'eps=']);
  checkWeightArgs('F.group_norm', args, ['weight', 'bias']);
  const groups = num(args['num_groups'], 'num_groups');
  const epsilon = num(args['eps'], 'eps', 1e-5);
  const x = groupNormInput(node, ctx, groups);
  const make = groupNormMaker(x, groups, epsilon, { scale: present(args['weight']), center: present(args['bias']) });
  return [applyAffineNorm(node, ctx, x, args, `shape [${x.torchShape.join(', ')}], ${groups} groups, eps ${epsilon}`, make)];
}

/** InstanceNorm with running statistics is BatchNorm at inference; without, one group per channel. */
export function instanceNorm(node: OpNode, ctx: BuildContext): KValue[] {
  if (node.attrs['track_running_stats'] === true) return batchNorm(node, ctx);
  const affine = node.attrs['affine'] === true;
  const channels = firstInput(node, ctx).torchShape[1] ?? 1;
  const x = groupNormInput(node, ctx, channels);
  const layer = ctx.sharedLayer(node.node.module!, groupNormMaker(x, channels, node.attrNumber('eps'), { scale: affine, center: affine }));
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

const INSTANCE_NORM_SIGNATURE = ['input', 'running_mean=', 'running_var=', 'weight=', 'bias=', 'use_input_stats=', 'momentum=', 'eps='];

/** F.instance_norm: statistics of each sample and channel; use_input_stats=False normalizes with the running statistics, which is F.batch_norm at inference. */
export function functionalInstanceNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(INSTANCE_NORM_SIGNATURE);
  checkWeightArgs('F.instance_norm', args, ['weight', 'bias']);
  if (!bool(args['use_input_stats'], 'use_input_stats', true)) {
    for (const key of ['running_mean', 'running_var'])
      requireTensor('F.instance_norm(use_input_stats=False)', args, key, 'normalizing with running statistics needs them (a buffer or a constant tensor)');
    return functionalBatchNorm(node, ctx, args);
  }
  const channels = outputShape(node, ctx)[1] ?? 1;
  const epsilon = num(args['eps'], 'eps', 1e-5);
  const x = groupNormInput(node, ctx, channels);
  const make = groupNormMaker(x, channels, epsilon, { scale: present(args['weight']), center: present(args['bias']) });
  return [applyAffineNorm(node, ctx, x, args, `shape [${x.torchShape.join(', ')}], eps ${epsilon}`, make)];
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

interface TorchNormArgs extends LayerArgs {
  /** 'trailing': normalize the last `count` axes; 'grouped': split the last (channel) axis into `count` groups, normalize each group with every non-batch axis. */
  readonly mode: 'trailing' | 'grouped';
  readonly count: number;
  readonly epsilon: number;
  /** Shape of gamma / beta (broadcast against the trailing axes), or null without an affine map. */
  readonly paramShape: number[] | null;
  readonly scale?: boolean;
  readonly center?: boolean;
}

/**
 * PyTorch's LayerNorm / F.layer_norm over any trailing axes, GroupNorm and InstanceNorm without
 * running statistics: statistics over the normalized axes (biased variance), then gamma and beta.
 */
export class TorchNorm extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'TorchNorm';
  static readonly transferRule: LayerRule = {
    weights: [
      { keras: 'gamma', torch: 'weight', layout: IDENTITY, flag: 'scale', neutral: 1 },
      { keras: 'beta', torch: 'bias', layout: IDENTITY, flag: 'center', neutral: 0 },
    ],
  };
  readonly mode: 'trailing' | 'grouped';
  readonly count: number;
  readonly epsilon: number;
  readonly paramShape: number[] | null;
  readonly scale: boolean;
  readonly center: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: TorchNormArgs) {
    super(args);
    if (args.mode !== 'trailing' && args.mode !== 'grouped') throw new KerasLayerConfigError(`TorchNorm mode must be 'trailing' or 'grouped', got ${JSON.stringify(args.mode)}`);
    if (!Number.isInteger(args.count) || args.count < 1) throw new KerasLayerConfigError(`TorchNorm count must be a positive integer, got ${JSON.stringify(args.count)}`);
    this.mode = args.mode;
    this.count = args.count;
    this.epsilon = args.epsilon;
    this.paramShape = args.paramShape ? [...args.paramShape] : null;
    this.scale = this.paramShape !== null && (args.scale ?? true);
    this.center = this.paramShape !== null && (args.center ?? true);
  }

  override build(): void {
    if (this.scale) this.gamma = this.addWeight('gamma', this.paramShape!, 'float32', tf.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', this.paramShape!, 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** The shape statistics are taken in, and its reduced axes. */
  private plan(shape: readonly number[]): { work: number[]; axes: number[] } {
    const rank = shape.length;
    if (this.mode === 'trailing') return { work: [...shape], axes: Array.from({ length: this.count }, (_, i) => rank - this.count + i) };
    const channels = shape[rank - 1]!;
    const work = [...shape.slice(0, rank - 1), this.count, channels / this.count];
    // every axis but the batch and the group axis
    return { work, axes: work.map((_, i) => i).filter((i) => i !== 0 && i !== rank - 1) };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { work, axes } = this.plan(x.shape);
      const grouped = x.reshape(work);
      const mean = tf.mean(grouped, axes, true);
      const centered = tf.sub(grouped, mean);
      const variance = tf.mean(tf.mul(centered, centered), axes, true);
      let y = tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon))).reshape(x.shape);
      if (this.gamma) y = tf.mul(y, this.gamma.read());
      if (this.beta) y = tf.add(y, this.beta.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, count: this.count, epsilon: this.epsilon, paramShape: this.paramShape, scale: this.scale, center: this.center };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    const { work, axes } = this.plan(x.shape);
    const grouped = this.mode === 'grouped' ? ctx.op('RESHAPE', [x, ctx.int32('to_groups', work)], { shape: work, suffix: 'to_groups' }, { newShape: work }) : x;
    const reduced = work.map((d, i) => (axes.includes(i) ? 1 : d));
    const axesTensor = ctx.int32('axes', axes);
    // Per-sample statistics stay float32 in full int8 (IrOp.keepFloat, docs/quantization.md).
    const stat = { keepFloat: true } as const;
    const mean = ctx.op('MEAN', [grouped, axesTensor], { shape: reduced, suffix: 'mean', ...stat }, { keepDims: true });
    const centered = ctx.op('SUB', [grouped, mean], { shape: work, suffix: 'centered', ...stat });
    const squared = ctx.op('MUL', [centered, centered], { shape: work, suffix: 'squared', ...stat });
    const variance = ctx.op('MEAN', [squared, axesTensor], { shape: reduced, suffix: 'variance', ...stat }, { keepDims: true });
    const shifted = ctx.op('ADD', [variance, ctx.constant('epsilon', Tensor.fromNumbers([], [this.epsilon]))], { shape: reduced, suffix: 'variance_eps', ...stat });
    const inverse = ctx.op('RSQRT', [shifted], { shape: reduced, suffix: 'rsqrt', ...stat });
    const last = !this.scale && !this.center;
    let y = ctx.op('MUL', [centered, inverse], { shape: work, suffix: last && this.mode === 'trailing' ? undefined : 'normalized', ...stat });
    if (this.mode === 'grouped') y = ctx.op('RESHAPE', [y, ctx.int32('from_groups', x.shape)], { shape: x.shape, suffix: last ? undefined : 'from_groups' }, { newShape: [...x.shape] });
    if (this.scale) y = ctx.op('MUL', [y, ctx.constant('gamma', ctx.weight('gamma'))], { shape: x.shape, suffix: this.center ? 'scaled' : undefined });
    if (this.center) y = ctx.op('ADD', [y, ctx.constant('beta', ctx.weight('beta'))], { shape: x.shape });
    return y;
  }
}

export const FAMILY: OpFamily = {
  name: 'Normalization',
  layers: [TorchNorm],
  ops: {
    ...spellings(['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d'], op(batchNorm, checkBatchNorm)),
    'F.batch_norm': op((node, ctx) => functionalBatchNorm(node, ctx), checkFunctionalBatchNorm),
    LayerNorm: op(layerNorm, checkLayerNorm),
    'F.layer_norm': op(functionalLayerNorm),
    GroupNorm: op(groupNorm),
    'F.group_norm': op(functionalGroupNorm),
    ...spellings(['InstanceNorm1d', 'InstanceNorm2d'], op(instanceNorm)),
    'F.instance_norm': op(functionalInstanceNorm),
  },
};
