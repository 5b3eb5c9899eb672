// Reordering along axes: torch.roll and torch.flip / fliplr / flipud, each axis one GATHER at
// constant positions (a roll is a rotated index list, a flip a reversed one); along the batch axis
// or over the flattened tensor, one gather at static positions (./index_map.ts).
import { Gather } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { kerasAxis } from '../layout.ts';
import { Unsupported, ints, literal, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, type Converter } from './common.ts';
import { flatOf, gatherByMap, unravel } from './index_map.ts';
import { op, spellings, type OpFamily } from '../family.ts';

/** A PyTorch dim in [0, rank). */
function axisIn(what: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) throw new Unsupported(`${what} dim ${dim} is out of range for a rank-${rank} tensor`);
  return dim < 0 ? dim + rank : dim;
}

interface Step {
  readonly dim: number;
  readonly positions: (size: number) => number[];
}

/**
 * One Gather per axis, each taking `positions(size)` along it; when an axis is Keras's axis 0 (the
 * batch) a single gather at static positions over the whole tensor instead.
 */
function gatherEach(node: OpNode, ctx: BuildContext, x: KValue, steps: readonly Step[]): KValue {
  let value = ctx.plain(x, node);
  if (steps.some(({ dim }) => kerasAxis(value.layout, dim) === 0)) {
    const tables = steps.map(({ dim, positions }) => ({ dim, table: positions(value.torchShape[dim]!) }));
    const apply = (o: readonly number[]) => tables.reduce((index, { dim, table }) => index.map((i, d) => (d === dim ? table[i]! : i)), [...o]);
    return gatherByMap(node, ctx, [value], value.torchShape, (o) => ({ input: 0, index: apply(o) }));
  }
  steps.forEach(({ dim, positions }, i) => {
    const layer = new Gather({ axis: kerasAxis(value.layout, dim), indices: positions(value.torchShape[dim]!), name: nameFor(node, ctx, i === steps.length - 1 ? '' : `__${dim}`) });
    value = ctx.apply(layer, value, value.torchShape, value.layout);
  });
  return value;
}

const asList = (v: unknown): number[] | undefined => (typeof v === 'number' ? [v] : Array.isArray(v) && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined);

/** torch.roll(x, shifts, dims): element i moves to i + shift (mod size). */
const roll: Converter = (node, ctx) => {
  const args = node.bind(['input', 'shifts', 'dims=']);
  const x = firstInput(node, ctx);
  const rank = x.torchShape.length;
  const shifts = asList(literal(args['shifts'], 'shifts'));
  const dims = asList(literal(args['dims'], 'dims') ?? undefined);
  if (!shifts) throw new Unsupported('roll with shifts that are not numbers');
  if (!dims || dims.length === 0) {
    // The flattened tensor rolls (batch included), then takes x's shape again.
    if (shifts.length !== 1) throw new Unsupported(`roll without dims takes one shift, got ${shifts.length}`);
    const shape = x.torchShape;
    const size = shape.reduce((a, b) => a * b, 1);
    return [gatherByMap(node, ctx, [x], shape, (o) => ({ input: 0, index: unravel((((flatOf(shape, o) - shifts[0]!) % size) + size) % size, shape) }))];
  }
  if (dims.length !== shifts.length) throw new Unsupported(`roll with ${shifts.length} shifts for ${dims.length} dims`);
  const steps = dims.map((d, i) => ({ dim: axisIn('roll', d, rank), positions: (size: number) => Array.from({ length: size }, (_, j) => (((j - shifts[i]!) % size) + size) % size) }));
  return [gatherEach(node, ctx, x, steps)];
};

function flipDims(node: OpNode, fixed?: number): number[] {
  if (fixed !== undefined) return [fixed];
  const args = node.bind(['input', '*dims']);
  return ints(args['dims'], 'dims') ?? [];
}

/** torch.flip(x, dims); fliplr flips dim 1, flipud dim 0. */
const flip =
  (fixed?: number): Converter =>
  (node, ctx) => {
    const x = firstInput(node, ctx);
    const rank = x.torchShape.length;
    const dims = flipDims(node, fixed);
    if (dims.length === 0) return [x];
    const steps = dims.map((d) => ({ dim: axisIn('flip', d, rank), positions: (size: number) => Array.from({ length: size }, (_, j) => size - 1 - j) }));
    return [gatherEach(node, ctx, x, steps)];
  };

export const FAMILY: OpFamily = {
  name: 'Reordering along axes',
  // Gather is registered by the condition family.
  layers: [],
  ops: {
    ...spellings(['torch.roll', 'Tensor.roll'], op(roll)),
    ...spellings(['torch.flip', 'Tensor.flip'], op(flip())),
    ...spellings(['torch.fliplr', 'Tensor.fliplr'], op(flip(1))),
    ...spellings(['torch.flipud', 'Tensor.flipud'], op(flip(0))),
  },
};
