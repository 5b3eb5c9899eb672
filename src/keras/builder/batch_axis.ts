// PyTorch's batch axis as an ordinary axis. Keras keeps axis 0 apart (no Keras layer reshapes,
// slices, concatenates or transposes it), but every captured graph has static shapes, so a value
// can be folded: Keras [d0, d1, ...] -> [1, d0, d1, ...], a unit axis in front that no PyTorch axis
// maps to. On the folded value every PyTorch axis is a non-batch Keras axis and the usual layers
// apply; unfolding reshapes back. Both are one StaticReshape (TFLite RESHAPE, no data moves). A
// model that folds runs at the traced batch size only. Ops that reduce, rank or multiply across the
// batch axis lift the whole tensor into one sample the same way (liftBatch, dropLift).
import { StaticReshape } from '../layers/index.ts';
import type { BuildContext, KValue } from './context.ts';
import { KerasBuildError } from './errors.ts';
import { identityPerm, kerasShapeOf } from './layout.ts';
import type { OpNode } from './op_node.ts';
import { nameFor } from './ops/common.ts';

/**
 * `x` reshaped as a whole to Keras shape `kerasShape` (PyTorch shape `torchShape` in `perm`). Axis 0
 * stays open when it is the model's (Keras) batch size (the lowering resolves an open axis 0 to it).
 */
export function reshapeWhole(ctx: BuildContext, x: KValue, kerasShape: readonly number[], torchShape: readonly number[], perm: readonly number[], name: string): KValue {
  const layer = new StaticReshape({ shape: [...kerasShape], openBatch: kerasShape[0] === ctx.batchSize, name: ctx.layerName(name) });
  return ctx.apply(layer, x, torchShape, { perm: [...perm] });
}

/**
 * `x` (plain layout) with a leading unit axis: PyTorch shape [1, ...shape], layout [0, ...perm + 1];
 * PyTorch axis d of x is axis d + 1 of the result.
 */
export function foldBatch(ctx: BuildContext, x: KValue, name: string): KValue {
  const perm = [0, ...x.layout.perm.map((axis) => axis + 1)];
  return reshapeWhole(ctx, x, [1, ...kerasShapeOf(x.torchShape, x.layout.perm)], [1, ...x.torchShape], perm, name);
}

/**
 * The inverse of foldBatch: a value of PyTorch shape [1, ...shape] whose unit axis is Keras axis 0
 * becomes a value of PyTorch shape `shape` whose Keras axis 0 holds PyTorch axis perm[1] - 1 (not
 * necessarily 0: relayout the folded value first to choose).
 */
export function unfoldBatch(ctx: BuildContext, folded: KValue, name: string): KValue {
  if (folded.torchShape[0] !== 1 || folded.layout.perm[0] !== 0 || folded.layout.source !== undefined || folded.torchShape.length < 2) {
    throw new KerasBuildError(`internal: unfoldBatch needs a plain folded value, got [${folded.torchShape.join(', ')}] in layout [${folded.layout.perm.join(', ')}]`);
  }
  const shape = folded.torchShape.slice(1);
  const perm = folded.layout.perm.slice(1).map((axis) => axis - 1);
  return reshapeWhole(ctx, folded, kerasShapeOf(shape, perm), shape, perm, name);
}

/** The Keras shape a value of PyTorch shape `torchShape` in layout `perm` has (a 0-d value: [1]). */
const kerasFull = (torchShape: readonly number[], perm: readonly number[]): number[] => (torchShape.length === 0 ? [1] : kerasShapeOf(torchShape, perm));

/**
 * An op across the batch axis (x.sum(), x.max(dim=0), x.cumsum(0), argmax of the flattened tensor):
 * x (PyTorch shape S, batch on axis 0) lifted into one sample, PyTorch shape [1, ...S], its layout
 * shifted, so the op runs on non-batch axes with its family's usual layers. The lifted value keeps a
 * static axis 0.
 */
export function liftBatch(node: OpNode, ctx: BuildContext, x: KValue): KValue {
  const plain = ctx.plain(x, node);
  const perm = [0, ...plain.layout.perm.map((axis) => axis + 1)];
  const torchShape = [1, ...plain.torchShape];
  const layer = new StaticReshape({ shape: kerasFull(torchShape, perm), name: nameFor(node, ctx, '__lift') });
  return ctx.apply(layer, plain, torchShape, { perm });
}

/**
 * A lifted result (PyTorch shape [1, ...R]) as a value of shape R, whose first axis becomes the Keras
 * batch (fixed size; a 0-d R is Keras shape [1], layout []). Its layout keeps the lifted order when
 * that leaves R's axis 0 first; otherwise R is put back in PyTorch's order first.
 */
export function dropLift(node: OpNode, ctx: BuildContext, lifted: KValue): KValue {
  const shape = lifted.torchShape.slice(1);
  let value = lifted;
  let perm = lifted.layout.perm.slice(1).map((axis) => axis - 1);
  if (shape.length > 0 && perm[0] !== 0) {
    value = ctx.relayout(lifted, identityPerm(lifted.torchShape.length), node, 'a result that was computed across the batch axis needs its first axis first');
    perm = identityPerm(shape.length);
  }
  const layer = new StaticReshape({ shape: kerasFull(shape, perm), name: nameFor(node, ctx, '__unlift') });
  return ctx.apply(layer, value, shape, { perm });
}
