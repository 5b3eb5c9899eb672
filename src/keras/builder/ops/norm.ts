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
import { channelsLastPerm, kerasAxis } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { firstInput, nameFor, outputShape } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

export function batchNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const x = ctx.plain(firstInput(node, ctx), node);
  const module = node.node.module!;
  const epsilon = node.attrNumber('eps');
  ctx.epsilons[module] = epsilon;
  const affine = node.attrs['affine'] !== false;
  const layer = ctx.sharedLayer(module, (name) =>
    tf.layers.batchNormalization({ axis: kerasAxis(x.layout, 1), epsilon, center: affine, scale: affine, name }),
  );
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export function checkBatchNorm(node: OpNode): string | undefined {
  if (node.attrs['track_running_stats'] === false) return 'BatchNorm without running statistics normalizes with batch statistics at inference; there is no Keras inference equivalent';
  return undefined;
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

/** A functional normalization's weight / bias argument: a parameter or constant fills the layer's weight. */
function fillAffine(node: OpNode, ctx: BuildContext, layer: string, weight: 'gamma' | 'beta', arg: GraphArg | undefined): void {
  if (arg === undefined || !isTensorConstant(arg)) return;
  if ('param' in arg) return ctx.fillFrom(layer, weight, arg.param);
  const tensor = ctx.tensorOf(arg) ?? node.fail(`constant ${arg.constant} is not recorded`);
  ctx.addTensor(layer, weight, `<norm>.${layer}.${weight}`, tensor);
}

const present = (arg: GraphArg | undefined): boolean => arg !== undefined && !('const' in arg && arg.const === null);

function checkAffineArgs(args: Record<string, GraphArg | undefined>): void {
  for (const key of ['weight', 'bias']) {
    if (isValueArg(args[key])) throw new Unsupported(`a computed ${key} (only a parameter, a buffer or a constant tensor is supported): make it an nn.Parameter`);
  }
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
  checkAffineArgs(args);
  const shape = normalizedShape(literal(args['normalized_shape'], 'normalized_shape'));
  const x = trailingLast(node, ctx, firstInput(node, ctx), shape.length);
  const [scale, center] = [present(args['weight']), present(args['bias'])];
  const layer = new TorchNorm({ mode: 'trailing', count: shape.length, epsilon: num(args['eps'], 'eps', 1e-5), paramShape: scale || center ? shape : null, scale, center, name: nameFor(node, ctx) });
  fillAffine(node, ctx, layer.name, 'gamma', args['weight']);
  fillAffine(node, ctx, layer.name, 'beta', args['bias']);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

/** Groups of the channel axis (PyTorch axis 1), normalized with every axis after it. */
function groupNormOf(node: OpNode, ctx: BuildContext, groups: number, epsilon: number, affine: { scale: boolean; center: boolean }, module?: string): { layer: TorchNorm; x: KValue } {
  const input = firstInput(node, ctx);
  const rank = input.torchShape.length;
  if (rank < 2) throw new Unsupported(`a rank-${rank} input (GroupNorm / InstanceNorm need [N, C, ...])`);
  const channels = input.torchShape[1]!;
  if (channels % groups !== 0) throw new Unsupported(`${channels} channels in ${groups} groups (the channels must divide into the groups)`);
  const x = ctx.relayout(input, channelsLastPerm(rank), node, 'group normalization runs channels-last');
  const make = (name: string): TorchNorm => new TorchNorm({ mode: 'grouped', count: groups, epsilon, paramShape: affine.scale || affine.center ? [channels] : null, ...affine, name });
  return { layer: module !== undefined ? ctx.sharedLayer(module, make) : make(nameFor(node, ctx)), x };
}

export function groupNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const affine = node.attrs['affine'] !== false;
  const { layer, x } = groupNormOf(node, ctx, node.attrNumber('num_groups'), node.attrNumber('eps'), { scale: affine, center: affine }, node.node.module!);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export function functionalGroupNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'num_groups', 'weight=', 'bias=', 'eps=']);
  checkAffineArgs(args);
  const { layer, x } = groupNormOf(node, ctx, num(args['num_groups'], 'num_groups'), num(args['eps'], 'eps', 1e-5), { scale: present(args['weight']), center: present(args['bias']) });
  fillAffine(node, ctx, layer.name, 'gamma', args['weight']);
  fillAffine(node, ctx, layer.name, 'beta', args['bias']);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

/** InstanceNorm with running statistics is BatchNorm at inference; without, one group per channel. */
export function instanceNorm(node: OpNode, ctx: BuildContext): KValue[] {
  if (node.attrs['track_running_stats'] === true) return batchNorm(node, ctx);
  const affine = node.attrs['affine'] === true;
  const channels = firstInput(node, ctx).torchShape[1] ?? 1;
  const { layer, x } = groupNormOf(node, ctx, channels, node.attrNumber('eps'), { scale: affine, center: affine }, node.node.module!);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export function functionalInstanceNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'running_mean=', 'running_var=', 'weight=', 'bias=', 'use_input_stats=', 'momentum=', 'eps=']);
  if (literal(args['use_input_stats'], 'use_input_stats') === false) throw new Unsupported('use_input_stats=False (normalizing with running statistics): use F.batch_norm or nn.InstanceNorm with track_running_stats=True');
  checkAffineArgs(args);
  const channels = outputShape(node, ctx)[1] ?? 1;
  const { layer, x } = groupNormOf(node, ctx, channels, num(args['eps'], 'eps', 1e-5), { scale: present(args['weight']), center: present(args['bias']) });
  fillAffine(node, ctx, layer.name, 'gamma', args['weight']);
  fillAffine(node, ctx, layer.name, 'beta', args['bias']);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
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
    const mean = ctx.op('MEAN', [grouped, axesTensor], { shape: reduced, suffix: 'mean' }, { keepDims: true });
    const centered = ctx.op('SUB', [grouped, mean], { shape: work, suffix: 'centered' });
    const squared = ctx.op('MUL', [centered, centered], { shape: work, suffix: 'squared' });
    const variance = ctx.op('MEAN', [squared, axesTensor], { shape: reduced, suffix: 'variance' }, { keepDims: true });
    const shifted = ctx.op('ADD', [variance, ctx.constant('epsilon', Tensor.fromNumbers([], [this.epsilon]))], { shape: reduced, suffix: 'variance_eps' });
    const inverse = ctx.op('RSQRT', [shifted], { shape: reduced, suffix: 'rsqrt' });
    const last = !this.scale && !this.center;
    let y = ctx.op('MUL', [centered, inverse], { shape: work, suffix: last && this.mode === 'trailing' ? undefined : 'normalized' });
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
    ...spellings(['BatchNorm1d', 'BatchNorm2d'], op(batchNorm, checkBatchNorm)),
    LayerNorm: op(layerNorm, checkLayerNorm),
    'F.layer_norm': op(functionalLayerNorm),
    GroupNorm: op(groupNorm),
    'F.group_norm': op(functionalGroupNorm),
    ...spellings(['InstanceNorm1d', 'InstanceNorm2d'], op(instanceNorm)),
    'F.instance_norm': op(functionalInstanceNorm),
  },
};
