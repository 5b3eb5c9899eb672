// F.pad and the padding modules. PyTorch lists (before, after) pairs from the last axis backwards;
// constant padding of a channels-last map's H and W lands on Keras's spatial axes (ZeroPadding2D
// for zeros, ConstantPadding otherwise; negative pads crop, a Slice). Reflect, replicate and
// circular padding, and constant padding of other axes, are one gather at static positions.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { ConstantPadding, Slice } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, ints, num, str, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';
import { gatherByMap } from './index_map.ts';

export type Mode = 'constant' | 'reflect' | 'replicate' | 'circular';
const MODES: readonly Mode[] = ['constant', 'reflect', 'replicate', 'circular'];

/** Where output position o of a padded axis reads (before: the leading pad), or -1 for the fill value. */
function source(mode: Mode, o: number, before: number, size: number): number {
  const i = o - before;
  if (i >= 0 && i < size) return i;
  if (mode === 'constant') return -1;
  if (mode === 'replicate') return Math.min(Math.max(i, 0), size - 1);
  if (mode === 'circular') return ((i % size) + size) % size;
  return i < 0 ? -i : 2 * (size - 1) - i;
}

/**
 * Any mode on any axis, batch included: one gather at static positions (./index_map.ts).
 * `perAxis`: [before, after] per PyTorch axis; the padded shape is `outShape` (default: the node's output).
 */
export function padByMap(
  node: OpNode,
  ctx: BuildContext,
  x: KValue,
  mode: Mode,
  value: number,
  perAxis: readonly (readonly [number, number])[],
  outShape: readonly number[] = outputShape(node, ctx),
): KValue {
  perAxis.forEach(([b, a], axis) => {
    const size = x.torchShape[axis]!;
    if (mode === 'reflect' && (b >= size || a >= size)) throw new Unsupported(`reflect padding of ${Math.max(b, a)} on an axis of size ${size} (PyTorch needs padding < size)`);
    if (mode === 'circular' && (b > size || a > size)) throw new Unsupported(`circular padding of ${Math.max(b, a)} on an axis of size ${size} (PyTorch needs padding <= size)`);
  });
  return gatherByMap(
    node,
    ctx,
    [x],
    outShape,
    (o) => {
      const index = o.map((i, axis) => source(mode, i, perAxis[axis]![0], x.torchShape[axis]!));
      return index.includes(-1) ? { fill: 0 } : { input: 0, index };
    },
    [value],
  );
}

/** The pad arguments of F.pad, or of a padding module (ReflectionPad2d, ZeroPad2d, ConstantPad1d, ...). */
function padArgs(node: OpNode): { mode: Mode; value: number; flat: number[] } {
  if (node.node.kind === 'module') {
    const mode: Mode = node.op.startsWith('Reflection') ? 'reflect' : node.op.startsWith('Replication') ? 'replicate' : node.op.startsWith('Circular') ? 'circular' : 'constant';
    const padding = node.attrs['padding'];
    const flat = Array.isArray(padding) ? (padding as number[]) : [];
    if (!flat.every((p) => Number.isInteger(p))) throw new Unsupported(`module attribute padding is ${JSON.stringify(padding)}, expected integers`);
    return { mode, value: typeof node.attrs['value'] === 'number' ? node.attrs['value'] : 0, flat };
  }
  const args = node.bind(['input', 'pad', 'mode=', 'value=']);
  const mode = str(args['mode'], 'mode', 'constant');
  if (!MODES.includes(mode as Mode)) throw new Unsupported(`padding mode '${mode}' (one of ${MODES.join(', ')})`);
  return { mode: mode as Mode, value: num(args['value'], 'value', 0), flat: ints(args['pad'], 'pad') ?? [] };
}

export function pad(node: OpNode, ctx: BuildContext): KValue[] {
  const { mode, value, flat } = padArgs(node);
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
  // ZeroPadding2D / ConstantPadding pad the spatial axes of a channels-last value; anything else gathers.
  if (mode !== 'constant' || kerasAxes.some((axis) => axis === 0 || axis === rank - 1) || rank < 3) return [padByMap(node, ctx, x, mode, value, perAxis)];
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
    ...spellings(
      ['1d', '2d', '3d'].flatMap((n) => [`ReflectionPad${n}`, `ReplicationPad${n}`, `CircularPad${n}`, `ZeroPad${n}`, `ConstantPad${n}`]),
      op(pad),
    ),
  },
};
