// Ordering along one non-batch axis: topk (values and indices, largest or smallest), sort, argsort,
// argmax / argmin and the indices of max(dim) / min(dim). All are one TFLite TOPK_V2 along the last
// Keras axis (the ranked dim is moved there first): the smallest k are the largest of -x, argmax is
// the top 1. Indices leave the layer as float32 whole numbers, like every integer inside a
// converted model (./casts.ts); a graph output gets PyTorch's integer kind back there.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { KerasLayerConfigError, Reduce, StaticReshape, TopK } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis } from '../layout.ts';
import { dropLift, liftBatch } from '../batch_axis.ts';
import { Unsupported, bool, ints, num, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, type Converter } from './common.ts';
import { op, spellings, type LowerableLayer, type OpFamily } from '../family.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

const RANKING_OUTPUTS = ['values', 'indices'] as const;
type RankingOutput = (typeof RANKING_OUTPUTS)[number];

interface RankingArgs extends LayerArgs {
  k: number;
  /** The k largest (true) or smallest (false), in that order. */
  largest: boolean;
  returns: RankingOutput;
}

/** The k largest or smallest values along the last axis, or their positions (float32). */
export class Ranking extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'Ranking';
  readonly k: number;
  readonly largest: boolean;
  readonly returns: RankingOutput;

  constructor(args: RankingArgs) {
    super(args);
    if (!Number.isInteger(args.k) || args.k < 1) throw new KerasLayerConfigError(`Ranking k must be a positive integer, got ${JSON.stringify(args.k)}`);
    if (!(RANKING_OUTPUTS as readonly string[]).includes(args.returns))
      throw new KerasLayerConfigError(`Ranking returns must be one of ${RANKING_OUTPUTS.join(', ')}, got ${JSON.stringify(args.returns)}`);
    this.k = args.k;
    this.largest = args.largest !== false;
    this.returns = args.returns;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.k];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { values, indices } = tf.topk(this.largest ? x : tf.neg(x), this.k, true);
      if (this.returns === 'indices') return tf.cast(indices, 'float32');
      return this.largest ? values : tf.neg(values);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), k: this.k, largest: this.largest, returns: this.returns };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    const shape = [...x.shape.slice(0, -1), this.k];
    const ranked = this.largest ? x : ctx.op('NEG', [x], { shape: x.shape, suffix: 'negated' });
    const [values, indices] = ctx.opMulti(
      'TOPK_V2',
      [ranked, ctx.int32('k', [this.k], [])],
      [
        { shape, suffix: 'values' },
        { shape, dtype: 'int32', suffix: 'indices' },
      ],
    );
    if (this.returns === 'indices') return ctx.op('CAST', [indices!], { shape }, { inDataType: 'int32', outDataType: 'float32' });
    return this.largest ? values! : ctx.op('NEG', [values!], { shape });
  }
}

/** Is output `i` of the node read by any other node or returned? */
export function outputUsed(node: OpNode, ctx: BuildContext, i: number): boolean {
  const id = node.node.outputs[i];
  if (id === undefined) return false;
  const read = (arg: { value?: string; list?: unknown[] } | object): boolean =>
    ('value' in arg && arg.value === id) || ('list' in arg && Array.isArray(arg.list) && arg.list.some((a) => read(a as object)));
  return ctx.graph.outputs.some((o) => o.value === id) || ctx.graph.nodes.some((n) => n.args.some(read) || Object.values(n.kwargs).some(read));
}

/**
 * The node's input with PyTorch dim `dim` on the last Keras axis, and that dim made non-negative.
 * Ranking along dim 0 (or, `flatten`, the flattened tensor) runs on the input lifted into one
 * sample (../batch_axis.ts); `lifted` says the result must be dropped back.
 */
function rankedInput(node: OpNode, ctx: BuildContext, dimArg: number, what: string, flatten: boolean): { x: KValue; dim: number; lifted: boolean } {
  let x = ctx.plain(firstInput(node, ctx), node);
  const rank = x.torchShape.length;
  if (!Number.isInteger(dimArg) || dimArg < -Math.max(rank, 1) || dimArg >= Math.max(rank, 1)) throw new Unsupported(`dim ${dimArg} is out of range for a rank-${rank} tensor`);
  let dim = dimArg < 0 ? dimArg + rank : dimArg;
  const lifted = flatten || dim === 0;
  if (lifted) {
    x = liftBatch(node, ctx, x);
    dim += 1;
    if (flatten) {
      const plain = ctx.relayout(x, identityPerm(rank + 1), node, `${what} of the flattened tensor reads it in PyTorch's order`);
      const size = x.torchShape.reduce((a, b) => a * b, 1);
      x = ctx.apply(new StaticReshape({ shape: [1, size], name: nameFor(node, ctx, '__flatten') }), plain, [1, size], { perm: [0, 1] });
      dim = 1;
    }
  }
  const last = x.torchShape.length - 1;
  if (kerasAxis(x.layout, dim) !== last) x = ctx.relayout(x, [...x.layout.perm.filter((axis) => axis !== dim), dim], node, `${what} runs over the last Keras axis only`);
  return { x, dim, lifted };
}

interface RankRequest {
  readonly dim: number;
  readonly k: number;
  readonly largest: boolean;
  /** Keep the ranked dim (of size k); false drops it (k must be 1). */
  readonly keepDim: boolean;
  readonly what: string;
  /** Rank the flattened tensor (argmax without dim); `dim` is then ignored. */
  readonly flatten?: boolean;
}

/** Values (or indices) of a ranking; `suffix` tells the two layers of one node apart. */
function rank(node: OpNode, ctx: BuildContext, request: RankRequest, output: RankingOutput, suffix = ''): KValue {
  const { x, dim, lifted } = rankedInput(node, ctx, request.dim, request.what, request.flatten === true);
  const size = x.torchShape[dim]!;
  if (!Number.isInteger(request.k) || request.k < 1 || request.k > size) throw new Unsupported(`k=${request.k} for a dim of size ${size}`);
  const shape = x.torchShape.map((d, i) => (i === dim ? request.k : d));
  const layer =
    !request.largest || output === 'indices'
      ? new Ranking({ k: request.k, largest: request.largest, returns: output, name: nameFor(node, ctx, suffix) })
      : new TopK({ k: request.k, name: nameFor(node, ctx, suffix) });
  const ranked = ctx.apply(layer, x, shape, x.layout);
  if (request.keepDim) return lifted ? dropLift(node, ctx, ranked) : ranked;
  const kept = x.layout.perm.filter((axis) => axis !== dim).map((axis) => (axis > dim ? axis - 1 : axis));
  const dropped = shape.filter((_, i) => i !== dim);
  const squeezed = ctx.apply(tf.layers.reshape({ targetShape: kept.slice(1).map((axis) => dropped[axis]!), name: nameFor(node, ctx, `${suffix}__squeeze`) }), ranked, dropped, { perm: kept });
  return lifted ? dropLift(node, ctx, squeezed) : squeezed;
}

/** The values and indices outputs a node records (indices built only when something reads them). */
function valuesAndIndices(node: OpNode, ctx: BuildContext, request: RankRequest): KValue[] {
  const values = rank(node, ctx, request, 'values');
  if (node.node.outputs.length < 2) return [values];
  return [values, outputUsed(node, ctx, 1) ? rank(node, ctx, request, 'indices', '__indices') : values];
}

/** The indices of max(dim) / min(dim) (values come from the reduction). */
export function extremumIndices(node: OpNode, ctx: BuildContext, op: 'max' | 'min', dim: number, keepDim: boolean): KValue {
  return rank(node, ctx, { dim, k: 1, largest: op === 'max', keepDim, what: `${op}(dim)` }, 'indices', '__indices');
}

const topk: Converter = (node, ctx) => {
  const args = node.bind(['input', 'k', 'dim=', 'largest=', 'sorted=']);
  if (!bool(args['sorted'], 'sorted', true)) throw new Unsupported('topk with sorted=False returns the k values in an unspecified order (pass sorted=True)');
  return valuesAndIndices(node, ctx, { dim: ints(args['dim'], 'dim')?.[0] ?? -1, k: num(args['k'], 'k'), largest: bool(args['largest'], 'largest', true), keepDim: true, what: 'topk' });
};

const sizeOf = (node: OpNode, ctx: BuildContext, dim: number): number => {
  const shape = firstInput(node, ctx).torchShape;
  return shape[dim < 0 ? dim + shape.length : dim] ?? 0;
};

const sort: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim=', 'descending=', 'stable=']);
  const dim = ints(args['dim'], 'dim')?.[0] ?? -1;
  return valuesAndIndices(node, ctx, { dim, k: sizeOf(node, ctx, dim), largest: bool(args['descending'], 'descending', false), keepDim: true, what: 'sort' });
};

const argsort: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim=', 'descending=', 'stable=']);
  const dim = ints(args['dim'], 'dim')?.[0] ?? -1;
  return [rank(node, ctx, { dim, k: sizeOf(node, ctx, dim), largest: bool(args['descending'], 'descending', false), keepDim: true, what: 'argsort' }, 'indices')];
};

function argExtremum(op: 'max' | 'min'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'dim=', 'keepdim=']);
    const dim = ints(args['dim'], 'dim')?.[0];
    const keepDim = bool(args['keepdim'], 'keepdim', false);
    if (dim === undefined && keepDim) throw new Unsupported(`arg${op} without dim and keepdim=True (pass dim=, or drop keepdim)`);
    return [rank(node, ctx, { dim: dim ?? 0, k: 1, largest: op === 'max', keepDim, what: `arg${op}`, flatten: dim === undefined }, 'indices')];
  };
}

/**
 * median(dim).values: PyTorch's lower median, the (m+1)-th smallest with m = (n - 1) // 2, is the
 * smallest of the n - m largest: a ranking and a min over the ranked axis.
 */
const median: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim', 'keepdim=']);
  if (outputUsed(node, ctx, 1)) throw new Unsupported('the indices of median(dim) (only .values converts; use argsort for positions)');
  const dim = num(args['dim'], 'dim');
  const n = sizeOf(node, ctx, dim);
  const keepDim = bool(args['keepdim'], 'keepdim', false);
  const top = rank(node, ctx, { dim, k: n - Math.floor((n - 1) / 2), largest: true, keepDim: true, what: 'median' }, 'values', '__top');
  const rankDim = dim < 0 ? dim + top.torchShape.length : dim;
  const axis = kerasAxis(top.layout, rankDim);
  const out = top.torchShape.map((d, i) => (i === rankDim ? 1 : d)).filter((_, i) => keepDim || i !== rankDim);
  const perm = keepDim ? top.layout.perm : top.layout.perm.filter((a) => a !== rankDim).map((a) => (a > rankDim ? a - 1 : a));
  const values = ctx.apply(new Reduce({ op: 'min', axes: [axis], keepDims: keepDim, name: nameFor(node, ctx) }), top, out, { perm });
  return node.node.outputs.length > 1 ? [values, values] : [values];
};

export const FAMILY: OpFamily = {
  name: 'Ranking: topk, sort, argmax',
  layers: [Ranking, TopK],
  ops: {
    ...spellings(['Tensor.topk', 'torch.topk'], op(topk)),
    ...spellings(['Tensor.sort', 'torch.sort'], op(sort)),
    ...spellings(['Tensor.argsort', 'torch.argsort'], op(argsort)),
    ...spellings(['Tensor.argmax', 'torch.argmax'], op(argExtremum('max'))),
    ...spellings(['Tensor.argmin', 'torch.argmin'], op(argExtremum('min'))),
    ...spellings(['Tensor.median', 'torch.median'], op(median)),
  },
};
