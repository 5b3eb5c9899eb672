// Reductions over PyTorch dims, on the Keras axes holding them. Averaging every spatial axis of a
// channels-last map is Keras's global average pooling (or, keeping dims, an average pooling over
// the whole map); anything else is torchport's Reduce layer.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { LogSoftmax, Reduce, StaticReshape, Statistic, type ReduceOp } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis, samePerm } from '../layout.ts';
import { Unsupported, bool, ints, isValueArg, num, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape, pair, type Converter } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';
import { extremum as elementwiseExtremum } from './elementwise.ts';
import { extremumIndices, outputUsed } from './ranking.ts';
import { castValue } from './casts.ts';
import { dropLift, liftBatch } from '../batch_axis.ts';

interface Reduced {
  readonly x: KValue;
  /** Keras axes reduced, ascending. */
  readonly axes: number[];
  readonly keepDims: boolean;
  /** Layout of the result. */
  readonly perm: readonly number[];
  /** The PyTorch shape of the reduction's output `i` as built (lifted: with a leading 1). */
  readonly out: (i?: number) => number[];
  /** The built result as the node's output (lifted: reshaped back to the recorded shape). */
  readonly finish: (value: KValue) => KValue;
}

/**
 * Which Keras axes `dims` (PyTorch dims of the node's first input) reduce, and the result's layout.
 * No dims (every axis) or dim 0 reduce across the batch: the input is lifted into one sample first
 * (../batch_axis.ts) and the dims move one axis up.
 */
function reducedAxes(node: OpNode, ctx: BuildContext, dimArg: GraphArg | undefined, keepArg: GraphArg | undefined): Reduced {
  const input = ctx.plain(firstInput(node, ctx), node);
  const rank = input.torchShape.length;
  const dims = ints(dimArg, 'dim');
  const every = dims === undefined || dims.length === 0;
  if (!every && dims.some((d) => !Number.isInteger(d) || d < -rank || d >= rank)) throw new Unsupported(`dim ${JSON.stringify(dims)} is out of range for a rank-${rank} tensor`);
  const wanted = every ? identityPerm(rank) : [...new Set(dims.map((d) => (d < 0 ? d + rank : d)))];
  const lifted = wanted.includes(0);
  const x = lifted ? liftBatch(node, ctx, input) : input;
  const reduced = wanted.map((d) => (lifted ? d + 1 : d)).sort((a, b) => a - b);
  const keepDims = bool(keepArg, 'keepdim', false);
  const axes = reduced.map((d) => kerasAxis(x.layout, d)).sort((a, b) => a - b);
  const kept = x.layout.perm.filter((axis) => !reduced.includes(axis));
  const perm = keepDims ? x.layout.perm : kept.map((axis) => axis - reduced.filter((d) => d < axis).length);
  const out = (i = 0): number[] => (lifted ? [1, ...outputShape(node, ctx, i)] : outputShape(node, ctx, i));
  return { x, axes, keepDims, perm, out, finish: (value) => (lifted ? dropLift(node, ctx, value) : value) };
}

const noDtype = (arg: GraphArg | undefined): void => {
  if (arg !== undefined && !('const' in arg && arg.const === null)) throw new Unsupported('a dtype argument (cast the input before reducing instead)');
};

export function reduction(op: ReduceOp): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'dim=', 'keepdim=', 'dtype=']);
    noDtype(args['dtype']);
    const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, args['dim'], args['keepdim']);
    return [finish(ctx.apply(reduceLayer(node, ctx, x, op, axes, keepDims), x, out(), { perm }))];
  };
}

/** x.max(dim) / x.min(dim): the values; the indices only when nothing reads them. */
function extremum(op: 'max' | 'min'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'dim=', 'keepdim=']);
    // torch.max(x, y): the elementwise maximum of two tensors.
    if (args['dim'] !== undefined && isValueArg(args['dim'])) return elementwiseExtremum(op === 'max' ? 'maximum' : 'minimum')(node, ctx);
    const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, args['dim'], args['keepdim']);
    const values = finish(ctx.apply(reduceLayer(node, ctx, x, op, axes, keepDims), x, out(), { perm }));
    if (node.node.outputs.length < 2) return [values];
    if (!outputUsed(node, ctx, 1)) return [values, values];
    return [values, extremumIndices(node, ctx, op, ints(args['dim'], 'dim')![0]!, keepDims)];
  };
}

/**
 * all / any / count_nonzero over dims: the truth values as 1 / 0, then a min / max / sum; all and
 * any compare the result with 0 again (PyTorch returns bool), count_nonzero stays a count.
 */
function truthReduction(kind: 'all' | 'any' | 'count_nonzero'): Converter {
  return (node, ctx) => {
    const args = node.bind(kind === 'count_nonzero' ? ['input', 'dim='] : ['input', 'dim=', 'keepdim=']);
    const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, args['dim'], args['keepdim']);
    const truth = castValue(node, ctx, castValue(node, ctx, x, 'float', 'bool'), 'bool', 'float');
    const op: ReduceOp = kind === 'all' ? 'min' : kind === 'any' ? 'max' : 'sum';
    const reduced = finish(ctx.apply(new Reduce({ op, axes, keepDims, name: nameFor(node, ctx, '__reduce') }), truth, out(), { perm }));
    return [kind === 'count_nonzero' ? reduced : castValue(node, ctx, reduced, 'float', 'bool')];
  };
}

/** var / std (and var_mean / std_mean): torch 1.13's unbiased= or correction=. */
function spread(op: 'var' | 'std', withMean: boolean): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'dim=', 'unbiased=', 'keepdim=', 'correction=']);
    const unbiased = args['unbiased'];
    if (unbiased !== undefined && isValueArg(unbiased)) throw new Unsupported('unbiased must be a boolean');
    // x.std(True) binds unbiased to dim's slot: torch's (input, unbiased) overload.
    const dimArg = args['dim'] !== undefined && 'const' in args['dim'] && typeof args['dim'].const === 'boolean' ? undefined : args['dim'];
    const unbiasedFlag = dimArg === args['dim'] ? bool(unbiased, 'unbiased', true) : bool(args['dim'], 'unbiased', true);
    const correction = args['correction'] !== undefined ? num(args['correction'], 'correction', 1) : unbiasedFlag ? 1 : 0;
    const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, dimArg, args['keepdim']);
    const result = finish(ctx.apply(new Statistic({ op, axes, keepDims, correction, name: nameFor(node, ctx) }), x, out(), { perm }));
    if (!withMean) return [result];
    const mean = finish(ctx.apply(new Reduce({ op: 'mean', axes, keepDims, name: nameFor(node, ctx, '__mean') }), x, out(1), { perm }));
    return [result, mean];
  };
}

/** The order of torch.norm (p) and linalg.vector_norm (ord): a number, inf, -inf, or 'fro' (= 2). */
function order(arg: GraphArg | undefined, fallback: number): number {
  const raw = arg !== undefined && 'const' in arg ? arg.const : undefined;
  if (raw === 'fro') return 2;
  if (raw === 'nuc') throw new Unsupported("the nuclear norm (p='nuc') needs a singular value decomposition");
  const p = num(arg, 'p', fallback);
  if (p === 0) throw new Unsupported('the 0-norm (a count of non-zero entries)');
  return p;
}

function norm(signature: readonly string[], orderName: string): Converter {
  return (node, ctx) => {
    const args = node.bind(signature);
    noDtype(args['dtype']);
    const p = order(args[orderName], 2);
    const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, args['dim'], args['keepdim']);
    return [finish(ctx.apply(new Statistic({ op: 'norm', axes, keepDims, p: p === Infinity ? 'inf' : p === -Infinity ? '-inf' : p, name: nameFor(node, ctx) }), x, out(), { perm }))];
  };
}

const normalize: Converter = (node, ctx) => {
  const args = node.bind(['input', 'p=', 'dim=', 'eps=', 'out=']);
  const p = order(args['p'], 2);
  const eps = num(args['eps'], 'eps', 1e-12);
  const dim = args['dim'] ?? { const: 1 };
  const { x, axes, perm, out, finish } = reducedAxes(node, ctx, dim, { const: true });
  return [finish(ctx.apply(new Statistic({ op: 'normalize', axes, keepDims: true, p: p === Infinity ? 'inf' : p === -Infinity ? '-inf' : p, eps, name: nameFor(node, ctx) }), x, out(), { perm }))];
};

const logsumexp: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim=', 'keepdim=']);
  const { x, axes, keepDims, perm, out, finish } = reducedAxes(node, ctx, args['dim'], args['keepdim']);
  return [finish(ctx.apply(new Statistic({ op: 'logsumexp', axes, keepDims, name: nameFor(node, ctx) }), x, out(), { perm }))];
};

function reduceLayer(node: OpNode, ctx: BuildContext, x: KValue, op: ReduceOp, axes: number[], keepDims: boolean): tf.layers.Layer {
  const rank = x.torchShape.length;
  const name = nameFor(node, ctx);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  // Pooling only averages or takes the maximum.
  if ((op === 'mean' || op === 'max') && (rank === 3 || rank === 4) && samePerm(axes, spatial)) {
    const window = spatial.map((axis) => x.tensor.shape[axis] as number);
    if (!keepDims) {
      if (rank === 4) return op === 'mean' ? tf.layers.globalAveragePooling2d({ name }) : tf.layers.globalMaxPooling2d({ name });
      return op === 'mean' ? tf.layers.globalAveragePooling1d({ name }) : tf.layers.globalMaxPooling1d({ name });
    }
    const args = { poolSize: pair(window), strides: pair(window), padding: 'valid' as const, name };
    if (rank === 4) return op === 'mean' ? tf.layers.averagePooling2d(args) : tf.layers.maxPooling2d(args);
    const args1 = { ...args, poolSize: window[0]!, strides: window[0]! };
    return op === 'mean' ? tf.layers.averagePooling1d(args1) : tf.layers.maxPooling1d(args1);
  }
  return new Reduce({ op, axes, keepDims, name });
}

export const softmax: Converter = (node, ctx) => softmaxLike(node, ctx, (name) => tf.layers.softmax({ axis: -1, name }));
export const logSoftmax: Converter = (node, ctx) => softmaxLike(node, ctx, (name) => new LogSoftmax({ name }));

/** nn.Softmax2d: softmax over the channels, dim -3 of a (N, C, H, W) or (C, H, W) input. */
export const softmax2d: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  if (x.torchShape.length !== 3 && x.torchShape.length !== 4) throw new Unsupported(`Softmax2d of a rank-${x.torchShape.length} input (PyTorch takes (N, C, H, W) or (C, H, W))`);
  return [softmaxOf(node, ctx, x, -3)];
};

function softmaxLike(node: OpNode, ctx: BuildContext, make: (name: string) => tf.layers.Layer): KValue[] {
  const dimArg = node.node.module !== undefined ? node.attrs['dim'] : ints(node.bind(['input', 'dim=', '_stacklevel=', 'dtype='])['dim'], 'dim')?.[0];
  if (typeof dimArg !== 'number') throw new Unsupported('softmax without an explicit dim');
  return [normalizedOver(node, ctx, firstInput(node, ctx), dimArg, make)];
}

/** softmax of `value` over PyTorch dim `dimArg` (F.softmin feeds it -x). */
export const softmaxOf = (node: OpNode, ctx: BuildContext, value: KValue, dimArg: number): KValue => normalizedOver(node, ctx, value, dimArg, (name) => tf.layers.softmax({ axis: -1, name }));

function normalizedOver(node: OpNode, ctx: BuildContext, value: KValue, dimArg: number, make: (name: string) => tf.layers.Layer): KValue {
  const rank = value.torchShape.length;
  const dim = dimArg < 0 ? dimArg + rank : dimArg;
  // Over all features of a flattened vector the order does not matter: no need to reorder it.
  if (value.layout.source !== undefined && rank === 2 && dim === 1) return ctx.apply(make(nameFor(node, ctx)), value, value.torchShape, value.layout);
  let x = ctx.plain(value, node);
  // tfjs (and TFLite's SOFTMAX) normalize the last axis only.
  if (kerasAxis(x.layout, dim) !== rank - 1) x = ctx.relayout(x, [...x.layout.perm.filter((axis) => axis !== dim), dim], node, 'softmax runs over the last Keras axis only');
  return ctx.apply(make(nameFor(node, ctx)), x, x.torchShape, x.layout);
}

const SOFTMAX = op(softmax);
const LOG_SOFTMAX = op(logSoftmax);

export const FAMILY: OpFamily = {
  name: 'Softmax and reductions',
  layers: [LogSoftmax, Reduce, Statistic, StaticReshape],
  ops: {
    Softmax: SOFTMAX,
    LogSoftmax: LOG_SOFTMAX,
    Softmax2d: op(softmax2d),
    ...spellings(['F.softmax', 'torch.softmax', 'Tensor.softmax'], SOFTMAX),
    ...spellings(['F.log_softmax', 'torch.log_softmax', 'Tensor.log_softmax'], LOG_SOFTMAX),
    ...spellings(['Tensor.mean', 'torch.mean'], op(reduction('mean'))),
    ...spellings(['Tensor.sum', 'torch.sum'], op(reduction('sum'))),
    ...spellings(['Tensor.amax', 'torch.amax'], op(reduction('max'))),
    ...spellings(['Tensor.amin', 'torch.amin'], op(reduction('min'))),
    ...spellings(['Tensor.prod', 'torch.prod'], op(reduction('prod'))),
    ...spellings(['Tensor.max', 'torch.max'], op(extremum('max'))),
    ...spellings(['Tensor.min', 'torch.min'], op(extremum('min'))),
    ...spellings(['Tensor.var', 'torch.var'], op(spread('var', false))),
    ...spellings(['Tensor.std', 'torch.std'], op(spread('std', false))),
    'torch.var_mean': op(spread('var', true)),
    'torch.std_mean': op(spread('std', true)),
    ...spellings(['Tensor.norm', 'torch.norm'], op(norm(['input', 'p=', 'dim=', 'keepdim=', 'out=', 'dtype='], 'p'))),
    ...spellings(['torch.linalg.vector_norm', 'torch._C._linalg.linalg_vector_norm'], op(norm(['input', 'ord=', 'dim=', 'keepdim=', 'dtype=', 'out='], 'ord'))),
    'F.normalize': op(normalize),
    ...spellings(['Tensor.logsumexp', 'torch.logsumexp'], op(logsumexp)),
    ...spellings(['Tensor.all', 'torch.all'], op(truthReduction('all'))),
    ...spellings(['Tensor.any', 'torch.any'], op(truthReduction('any'))),
    ...spellings(['Tensor.count_nonzero', 'torch.count_nonzero'], op(truthReduction('count_nonzero'))),
  },
};
