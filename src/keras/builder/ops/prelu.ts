// PReLU: one slope per channel (PyTorch axis 1, the last Keras axis) or one slope for everything.
// One nn.PReLU() may be called on tensors of different shapes (8 then 16 channels, a map then a
// feature vector); a Keras PReLU's alpha has its input's shape, so each input shape gets its own
// Keras layer, all filled from the module's one weight.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { kerasShapeOf } from '../layout.ts';
import { Unsupported, isTensorConstant, type OpNode } from '../op_node.ts';
import { firstInput, input, nameFor } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

/** Keras layers made for a module's calls on a second, third... input shape, per build. */
const extraLayers = new WeakMap<BuildContext, Map<string, tf.layers.Layer>>();
/** The Keras input shape a module's own layer was built for. */
const firstKeys = new WeakMap<tf.layers.Layer, string>();

/** The input with PyTorch's channel axis last in Keras when the slopes are per channel. */
function preluInput(node: OpNode, ctx: BuildContext, x: KValue, channels: number): KValue {
  const plain = ctx.plain(x, node);
  const rank = plain.torchShape.length;
  if (channels > 1 && rank > 2 && plain.layout.perm[rank - 1] !== 1) {
    return ctx.relayout(plain, [...plain.layout.perm.filter((a) => a !== 1), 1], node, 'PReLU keeps one slope per channel on the last Keras axis');
  }
  return plain;
}

function makePrelu(name: string, rank: number, channels: number): tf.layers.Layer {
  const sharedAxes = Array.from({ length: rank - 1 }, (_, i) => i + 1).filter((axis) => channels === 1 || axis !== rank - 1);
  return tf.layers.prelu({ sharedAxes: sharedAxes.length > 0 ? sharedAxes : null, name } as never);
}

function checkChannels(x: KValue, channels: number): void {
  if (channels > 1 && x.torchShape[1] !== channels) throw new Unsupported(`PReLU with ${channels} slopes on an input with ${x.torchShape[1] ?? 'no'} channels (axis 1)`);
}

/**
 * The slopes fill every Keras layer made for them as a copy (one state-dict tensor may fill only
 * one Keras weight); the transfer broadcasts [1] or [C] to the layer's alpha.
 */
function fillSlopes(node: OpNode, ctx: BuildContext, layer: tf.layers.Layer, weight: { param: string } | { constant: string }): void {
  const slopes = ctx.tensorOf(weight) ?? node.fail(`its weight ${JSON.stringify(weight)} is not recorded`);
  ctx.addTensor(layer.name, 'alpha', `<prelu>.${layer.name}`, slopes.reshape([slopes.shape.reduce((a, b) => a * b, 1)]));
}

export function prelu(node: OpNode, ctx: BuildContext): KValue[] {
  const module = node.node.module!;
  const channels = node.attrNumber('num_parameters');
  const x = preluInput(node, ctx, firstInput(node, ctx), channels);
  checkChannels(x, channels);
  const rank = x.torchShape.length;
  const key = kerasShapeOf(x.torchShape, x.layout.perm).slice(1).join('x');
  const first: tf.layers.Layer = ctx.sharedLayer(module, (name) => makePrelu(name, rank, channels));
  let layer = first;
  if (!firstKeys.has(first)) {
    firstKeys.set(first, key);
    fillSlopes(node, ctx, first, { param: `${module}.weight` });
  } else if (firstKeys.get(first) !== key) {
    const layers = extraLayers.get(ctx) ?? new Map<string, tf.layers.Layer>();
    extraLayers.set(ctx, layers);
    layer = layers.get(key) ?? makePrelu(ctx.layerName(`${module}__${key}`), rank, channels);
    if (!layers.has(key)) {
      layers.set(key, layer);
      fillSlopes(node, ctx, layer, { param: `${module}.weight` });
    }
  }
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

const COMPUTED_WEIGHT = 'F.prelu with a computed weight (only a parameter or a constant tensor is supported): make the slopes an nn.Parameter';

export function checkFunctionalPrelu(node: OpNode): string | undefined {
  return isTensorConstant(node.bind(['input', 'weight'])['weight']) ? undefined : COMPUTED_WEIGHT;
}

/** F.prelu(x, weight): the weight is a parameter (or a constant) of 1 or C slopes. */
export function functionalPrelu(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'weight']);
  const weight = args['weight'];
  if (!isTensorConstant(weight)) throw new Unsupported(COMPUTED_WEIGHT);
  const shape = 'param' in weight ? ctx.tensorShape(weight.param) : ctx.graph.constants[weight.constant]?.shape;
  if (!shape) return node.fail('its weight has no recorded shape');
  const channels = shape.reduce((a, b) => a * b, 1);
  const x = preluInput(node, ctx, input(node, ctx, args['input']), channels);
  checkChannels(x, channels);
  const layer = makePrelu(nameFor(node, ctx), x.torchShape.length, channels);
  fillSlopes(node, ctx, layer, weight);
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

export const FAMILY: OpFamily = {
  name: 'PReLU',
  layers: [],
  ops: {
    PReLU: op(prelu),
    ...spellings(['F.prelu', 'torch.prelu'], op(functionalPrelu, checkFunctionalPrelu)),
  },
};
