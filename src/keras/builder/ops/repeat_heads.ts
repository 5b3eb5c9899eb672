// repeat_interleave(x, n, dim): every slice along `dim` repeated n times in place (grouped-query attention's
// key/value heads repeated for the query heads they serve: torch.repeat_interleave(k, n, dim=1)). In Keras's
// own axis order, so no transpose: a unit axis is inserted after the repeated one (Reshape), broadcast to n
// (BroadcastTo) and merged back (Reshape): copy i lands at positions i * n .. i * n + n - 1, as in PyTorch.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { BroadcastTo } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis, kerasShapeOf } from '../layout.ts';
import { Unsupported, isValueArg, literal, type OpNode } from '../op_node.ts';
import { nameFor, outputShape } from './common.ts';

const SIGNATURE = ['input', 'repeats', 'dim=', 'output_size='];

/** The repeat count and PyTorch dim, or the reason they are not supported. */
function repeatOf(node: OpNode): { repeats: number; dim: number } {
  const args = node.bind(SIGNATURE);
  if (!isValueArg(args['input'])) throw new Unsupported('repeat_interleave of a constant (compute it outside the model)');
  const repeats = args['repeats'] && !('const' in args['repeats']) ? undefined : literal(args['repeats'], 'repeats');
  if (!Number.isInteger(repeats) || (repeats as number) < 1) throw new Unsupported(`repeats ${JSON.stringify(repeats ?? args['repeats'])}: only a positive integer count is supported (not a tensor of per-slice counts)`);
  const dim = literal(args['dim'], 'dim');
  if (!Number.isInteger(dim)) throw new Unsupported('repeat_interleave without dim (it flattens the input first): pass dim');
  return { repeats: repeats as number, dim: dim as number };
}

export function checkRepeatInterleave(node: OpNode): string | undefined {
  try {
    repeatOf(node);
    return undefined;
  } catch (error) {
    if (error instanceof Unsupported) return error.message;
    throw error;
  }
}

export function repeatInterleave(node: OpNode, ctx: BuildContext): KValue[] {
  const { repeats, dim } = repeatOf(node);
  const x = ctx.plain(ctx.value((node.node.args[0] as { value: string }).value, node), node);
  const out = outputShape(node, ctx);
  if (repeats === 1) return [x];
  const axis = kerasAxis(x.layout, dim);
  if (axis <= 0) throw new Unsupported(`repeat_interleave along dim ${dim}, the batch axis (Keras keeps the batch apart)`);
  const held = kerasShapeOf(x.torchShape, x.layout.perm);
  // The intermediate values are described in Keras's order (identity layout): they exist only here.
  const unit = [...held.slice(0, axis + 1), 1, ...held.slice(axis + 1)];
  const spread = [...held.slice(0, axis + 1), repeats, ...held.slice(axis + 1)];
  const plain = identityPerm(unit.length);
  const inserted = ctx.apply(tf.layers.reshape({ targetShape: unit.slice(1), name: nameFor(node, ctx, '__unit_axis') }), x, unit, { perm: plain });
  const broadcast = ctx.apply(new BroadcastTo({ shape: spread.slice(1), name: nameFor(node, ctx, '__repeat') }), inserted, spread, { perm: plain });
  return [ctx.apply(tf.layers.reshape({ targetShape: kerasShapeOf(out, x.layout.perm).slice(1), name: nameFor(node, ctx, '__merge') }), broadcast, out, x.layout)];
}
