// Normalization layers. BatchNorm normalizes PyTorch axis 1 wherever the layout put it (the last
// Keras axis for channels-last maps); LayerNorm normalizes PyTorch's trailing axes.
import * as tf from '@tensorflow/tfjs';
import type { BuildContext, KValue } from '../context.ts';
import { kerasAxis } from '../layout.ts';
import { Unsupported, type OpNode } from '../op_node.ts';
import { firstInput } from './common.ts';
import { op, type OpFamily } from '../family.ts';

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

export function layerNorm(node: OpNode, ctx: BuildContext): KValue[] {
  const x = ctx.plain(firstInput(node, ctx), node);
  const normalized = node.attrs['normalized_shape'];
  const count = Array.isArray(normalized) ? normalized.length : 1;
  if (count !== 1) throw new Unsupported(`LayerNorm over ${count} axes (only the last axis is supported)`);
  const module = node.node.module!;
  const epsilon = node.attrNumber('eps');
  ctx.epsilons[module] = epsilon;
  const affine = node.attrs['elementwise_affine'] !== false;
  let value = x;
  const rank = x.torchShape.length;
  // Keras's LayerNormalization weights follow its axis; keep PyTorch's last axis last in Keras too.
  if (x.layout.perm[rank - 1] !== rank - 1) value = ctx.relayout(x, [...x.layout.perm.filter((a) => a !== rank - 1), rank - 1], node, 'LayerNorm normalizes the last axis');
  const layer = ctx.sharedLayer(module, (name) => tf.layers.layerNormalization({ axis: -1, epsilon, center: affine, scale: affine, name }));
  return [ctx.apply(layer, value, value.torchShape, value.layout)];
}

export function checkLayerNorm(node: OpNode): string | undefined {
  const normalized = node.attrs['normalized_shape'];
  if (Array.isArray(normalized) && normalized.length !== 1) return `LayerNorm over ${normalized.length} axes (only the last axis is supported)`;
  return undefined;
}

export const FAMILY: OpFamily = {
  name: 'Normalization',
  layers: [],
  ops: {
    BatchNorm1d: op(batchNorm, checkBatchNorm),
    BatchNorm2d: op(batchNorm, checkBatchNorm),
    LayerNorm: op(layerNorm, checkLayerNorm),
  },
};
