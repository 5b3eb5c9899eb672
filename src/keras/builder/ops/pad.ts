// F.pad with a constant. PyTorch lists (before, after) pairs from the last axis backwards; on a
// channels-last map, padding H and W lands on Keras's spatial axes (ZeroPadding2D for zeros,
// ConstantPadding otherwise). Negative pads crop (a Slice).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { ConstantPadding, Slice } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, ints, num, str, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape } from './common.ts';
import { op, type OpFamily } from '../family.ts';

export function pad(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'pad', 'mode=', 'value=']);
  const mode = str(args['mode'], 'mode', 'constant');
  if (mode !== 'constant') throw new Unsupported(`padding mode '${mode}' (only 'constant' is supported)`);
  const value = num(args['value'], 'value', 0);
  const flat = ints(args['pad'], 'pad') ?? [];
  let x = ctx.plain(firstInput(node, ctx), node);
  const rank = x.torchShape.length;
  // Per PyTorch axis: [before, after].
  const perAxis = Array.from({ length: rank }, (_, axis) => {
    const k = rank - 1 - axis;
    return [flat[2 * k] ?? 0, flat[2 * k + 1] ?? 0] as [number, number];
  });
  const padded = perAxis.map(([b, a], axis) => (b !== 0 || a !== 0 ? axis : -1)).filter((axis) => axis >= 0);
  if (padded.length === 0) return [x];
  const kerasAxes = padded.map((axis) => x.layout.perm.indexOf(axis));
  if (kerasAxes.some((axis) => axis === 0 || axis === rank - 1)) {
    node.fail(`pads PyTorch axes [${padded.join(', ')}], which Keras holds on the batch or last axis (only spatial axes of a channels-last value can be padded)`);
  }
  // Negative amounts crop first; then the non-negative rest is padded.
  const crop = perAxis.map(([b, a]) => [Math.max(-b, 0), Math.max(-a, 0)] as [number, number]);
  if (crop.some(([b, a]) => b > 0 || a > 0)) {
    const shape = x.torchShape.map((dim, axis) => dim - crop[axis]![0] - crop[axis]![1]);
    const kerasCrop = x.layout.perm.slice(1).map((axis) => crop[axis]!);
    const layer = new Slice({ begin: kerasCrop.map(([b]) => b), size: x.layout.perm.slice(1).map((axis) => shape[axis]!), name: nameFor(node, ctx, '__crop') });
    x = ctx.apply(layer, x, shape, x.layout);
  }
  const grow = perAxis.map(([b, a]) => [Math.max(b, 0), Math.max(a, 0)] as [number, number]);
  if (grow.every(([b, a]) => b === 0 && a === 0)) return [x];
  const spatial = x.layout.perm.slice(1, -1).map((axis) => grow[axis]!);
  const name = nameFor(node, ctx);
  const layer = value === 0 && rank === 4 ? tf.layers.zeroPadding2d({ padding: [spatial[0]!, spatial[1]!], name }) : new ConstantPadding({ padding: spatial, value, name });
  return [ctx.apply(layer, x, outputShape(node, ctx), x.layout)];
}

export const FAMILY: OpFamily = {
  name: 'Padding',
  layers: [ConstantPadding, Slice],
  ops: {
    'F.pad': op(pad),
  },
};
