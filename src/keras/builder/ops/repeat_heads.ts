// repeat_interleave(x, n, dim) along a non-batch axis: every slice along `dim` repeated n times in place (grouped-query attention's
// key/value heads repeated for the query heads they serve: torch.repeat_interleave(k, n, dim=1)). In Keras's
// own axis order, so no transpose: a unit axis is inserted after the repeated one (Reshape), broadcast to n
// (BroadcastTo) and merged back (Reshape): copy i lands at positions i * n .. i * n + n - 1, as in PyTorch.
// Cheaper than the general gather at static positions (ops/movement.ts), which handles the other cases.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { BroadcastTo } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis, kerasShapeOf } from '../layout.ts';
import type { OpNode } from '../op_node.ts';
import { nameFor, outputShape } from './common.ts';

/**
 * x with every slice along PyTorch `dim` repeated `repeats` times in place, or undefined when `dim` is the
 * batch axis (the caller then gathers at static positions).
 */
export function repeatSlices(node: OpNode, ctx: BuildContext, x: KValue, repeats: number, dim: number): KValue | undefined {
  const out = outputShape(node, ctx);
  if (repeats === 1) return x;
  const plainX = ctx.plain(x, node);
  const axis = kerasAxis(plainX.layout, dim);
  if (axis <= 0) return undefined;
  const held = kerasShapeOf(plainX.torchShape, plainX.layout.perm);
  // The intermediate values are described in Keras's order (identity layout): they exist only here.
  const unit = [...held.slice(0, axis + 1), 1, ...held.slice(axis + 1)];
  const spread = [...held.slice(0, axis + 1), repeats, ...held.slice(axis + 1)];
  const plain = identityPerm(unit.length);
  const inserted = ctx.apply(tf.layers.reshape({ targetShape: unit.slice(1), name: nameFor(node, ctx, '__unit_axis') }), plainX, unit, { perm: plain });
  const broadcast = ctx.apply(new BroadcastTo({ shape: spread.slice(1), name: nameFor(node, ctx, '__repeat') }), inserted, spread, { perm: plain });
  return ctx.apply(tf.layers.reshape({ targetShape: kerasShapeOf(out, plainX.layout.perm).slice(1), name: nameFor(node, ctx, '__merge') }), broadcast, out, plainX.layout);
}
