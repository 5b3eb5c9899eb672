// Functional forms that carry weights (F.batch_norm, F.conv2d, F.group_norm ...), whatever module
// calls them (timm's BatchNormAct2d subclasses nn.BatchNorm2d and calls F.batch_norm with its own
// running statistics, weight and bias). The weights come from the captured call's arguments: a
// parameter or buffer by its state-dict name, or a constant the capture folded (a standardized
// weight computed from parameters). One Keras layer per distinct set of weight arguments, so a
// module whose forward calls the function twice shares one layer, as a module called twice does,
// and each state-dict tensor fills exactly one Keras weight (the transfer is strict about that).
import type * as tf from '@tensorflow/tfjs';
import type { GraphArg } from '../../../torch/index.ts';
import type { WeightLayout } from '../../transfer/index.ts';
import type { BuildContext } from '../context.ts';
import { Unsupported, isTensorConstant, isValueArg, type OpNode } from '../op_node.ts';
import { nameFor } from './common.ts';
import { constantSource } from './constants.ts';

/** An argument that was passed and is not None. */
export const present = (arg: GraphArg | undefined): boolean => arg !== undefined && !('const' in arg && arg.const === null);

/** Refuses weight arguments computed from the inputs (they would have to be a Keras weight). */
export function checkWeightArgs(op: string, args: Readonly<Record<string, GraphArg | undefined>>, keys: readonly string[]): void {
  for (const key of keys) {
    if (isValueArg(args[key]))
      throw new Unsupported(`${op} with a ${key} computed from the inputs (only a parameter, a buffer or a constant tensor can be a Keras weight): make it an nn.Parameter or a buffer`);
  }
}

/** A weight argument that must be a tensor (parameter, buffer or constant). */
export function requireTensor(op: string, args: Readonly<Record<string, GraphArg | undefined>>, key: string, why: string): { param: string } | { constant: string } {
  const arg = args[key];
  if (isTensorConstant(arg)) return arg;
  throw new Unsupported(`${op} with ${present(arg) ? `a ${key} computed from the inputs` : `${key}=None`}: ${why}`);
}

/** Which tensors fill a layer, per build: the key of layersByWeights. */
const layersByWeights = new WeakMap<BuildContext, Map<string, { layer: tf.layers.Layer; config: string }>>();

/**
 * The Keras layer of a functional call with weight arguments `weights`: made by `make` on the
 * first call with these weights, the same layer on the next ones. `config` describes what the
 * layer was built for (its input shape and hyperparameters): a second call with the same weights
 * but another config cannot share the layer and is refused.
 */
export function layerForWeights<T extends tf.layers.Layer>(
  node: OpNode,
  ctx: BuildContext,
  weights: readonly (GraphArg | undefined)[],
  config: string,
  make: (name: string) => T,
): { layer: T; fresh: boolean } {
  const key = `${node.op} ${JSON.stringify(weights.filter(isTensorConstant))}`;
  const layers = layersByWeights.get(ctx) ?? new Map<string, { layer: tf.layers.Layer; config: string }>();
  layersByWeights.set(ctx, layers);
  const known = layers.get(key);
  if (known) {
    if (known.config !== config)
      throw new Unsupported(`${node.op} called twice with the same weights but on inputs of other shapes or with other settings (${known.config} vs ${config}): one Keras layer cannot serve both`);
    return { layer: known.layer as T, fresh: false };
  }
  const layer = make(nameFor(node, ctx));
  layers.set(key, { layer, config });
  return { layer, fresh: true };
}

/** Weight `weight` of Keras layer `layer` is filled from the tensor argument (the layer rule's layout unless `layout`). */
export function fillWeight(node: OpNode, ctx: BuildContext, layer: string, weight: string, arg: GraphArg | undefined, layout?: WeightLayout): void {
  if (!isTensorConstant(arg)) return;
  ctx.fillFrom(layer, weight, constantSource(node, ctx, arg).tensor, layout);
}

/** The shape of a tensor argument (a parameter, buffer or folded constant). */
export function tensorArgShape(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }): readonly number[] {
  const shape = 'param' in arg ? ctx.tensorShape(arg.param) : ctx.graph.constants[arg.constant]?.shape;
  return shape ?? node.fail(`its weight ${JSON.stringify(arg)} has no recorded shape`);
}
