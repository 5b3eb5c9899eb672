// Vector products that are a few existing layers in a row: torch.linalg.cross (gathers, products, a
// difference), F.cosine_similarity (products, sums, rsqrt), torch.cdist (broadcast differences and a
// norm), torch.kron (a broadcast product of interleaved unit axes, reshaped) and nn.Bilinear /
// F.bilinear (a Dense whose kernel is the weight reshaped, a product, a sum, the bias).
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { Clamp, ConstantArithmetic, Gather, MathFunction, Reduce, StaticReshape, Subtract } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, num, type OpNode } from '../op_node.ts';
import { input, nameFor, outputShape, type Converter } from './common.ts';
import { constantSource } from './constants.ts';
import { op, spellings, type OpFamily } from '../family.ts';

const MULTIPLY = (name: string): tf.layers.Layer => tf.layers.multiply({ name });

/** Two computed operands of one shape, both in the first one's layout. */
function sameShapeOperands(node: OpNode, ctx: BuildContext, a: GraphArg | undefined, b: GraphArg | undefined, what: string): [KValue, KValue] {
  if (!isValueArg(a) || !isValueArg(b)) throw new Unsupported(`${what} of a constant operand (only tensors computed from the inputs convert here)`);
  const x = ctx.plain(input(node, ctx, a), node);
  const y = input(node, ctx, b);
  if (x.torchShape.length !== y.torchShape.length || x.torchShape.some((d, i) => d !== y.torchShape[i])) {
    throw new Unsupported(`${what} of operands of shapes [${x.torchShape.join(', ')}] and [${y.torchShape.join(', ')}] (broadcast them to one shape first, e.g. with expand)`);
  }
  return [x, ctx.relayout(y, x.layout.perm, node, `both operands of ${what} need one layout`)];
}

/** A PyTorch dim of `x` that is not its batch axis, normalized. */
function featureDim(x: KValue, dim: number, what: string): number {
  const rank = x.torchShape.length;
  const d = dim < 0 ? dim + rank : dim;
  if (d <= 0 || d >= rank) throw new Unsupported(`${what} along dim ${dim} of a rank-${rank} tensor (dim 0 is the batch axis in Keras)`);
  return d;
}

/** Two values of one layout multiplied (no broadcasting). */
const times = (node: OpNode, ctx: BuildContext, a: KValue, b: KValue, suffix: string): KValue => ctx.apply(MULTIPLY(nameFor(node, ctx, suffix)), [a, b], a.torchShape, a.layout);

/** The sum of `x` over PyTorch dim `dim` (not the batch), the dim dropped. */
function sumOver(node: OpNode, ctx: BuildContext, x: KValue, dim: number, suffix: string, op: 'sum' | 'max' = 'sum'): KValue {
  const perm = x.layout.perm.filter((a) => a !== dim).map((a) => (a > dim ? a - 1 : a));
  const shape = x.torchShape.filter((_, i) => i !== dim);
  return ctx.apply(new Reduce({ op, axes: [kerasAxis(x.layout, dim)], keepDims: false, name: nameFor(node, ctx, suffix) }), x, shape, { perm });
}

const math = (node: OpNode, ctx: BuildContext, x: KValue, fn: 'sqrt' | 'rsqrt' | 'abs' | 'pow', suffix: string, exponent?: number): KValue =>
  ctx.apply(new MathFunction({ fn, ...(exponent !== undefined ? { exponent } : {}), name: nameFor(node, ctx, suffix) }), x, x.torchShape, x.layout);

/** torch.linalg.cross / torch.cross(a, b, dim): a[1]b[2] - a[2]b[1], ... as gathers rotating the 3-vector. */
const cross: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other', 'dim=', 'out=']);
  const [x, y] = sameShapeOperands(node, ctx, args['input'], args['other'], 'a cross product');
  const dimArg = args['dim'];
  const given = dimArg === undefined || ('const' in dimArg && dimArg.const === null) ? undefined : num(dimArg, 'dim');
  // torch.cross without dim takes the first axis of size 3 (torch.linalg.cross: the last).
  const dim = featureDim(x, given ?? (node.node.op.includes('linalg') ? -1 : x.torchShape.findIndex((d) => d === 3)), 'a cross product');
  if (x.torchShape[dim] !== 3) throw new Unsupported(`a cross product along an axis of size ${x.torchShape[dim]} (it needs 3)`);
  const axis = kerasAxis(x.layout, dim);
  const rotated = (v: KValue, indices: number[], suffix: string): KValue => ctx.apply(new Gather({ axis, indices, name: nameFor(node, ctx, suffix) }), v, v.torchShape, v.layout);
  const first = times(node, ctx, rotated(x, [1, 2, 0], '__a1'), rotated(y, [2, 0, 1], '__b2'), '__first');
  const second = times(node, ctx, rotated(x, [2, 0, 1], '__a2'), rotated(y, [1, 2, 0], '__b1'), '__second');
  return [ctx.apply(new Subtract({ name: nameFor(node, ctx) }), [first, second], x.torchShape, x.layout)];
};

/** F.cosine_similarity(x1, x2, dim=1, eps=1e-8): sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps)). */
const cosineSimilarity: Converter = (node, ctx) => {
  const args = node.bind(['x1', 'x2', 'dim=', 'eps=']);
  const [x, y] = sameShapeOperands(node, ctx, args['x1'], args['x2'], 'cosine_similarity');
  const dim = featureDim(x, num(args['dim'], 'dim', 1), 'cosine_similarity');
  const eps = num(args['eps'], 'eps', 1e-8);
  const dot = sumOver(node, ctx, times(node, ctx, x, y, '__product'), dim, '__dot');
  const inverseNorm = (v: KValue, suffix: string): KValue => {
    const squares = sumOver(node, ctx, times(node, ctx, v, v, `__${suffix}_squared`), dim, `__${suffix}_sum`);
    const clamped = ctx.apply(new Clamp({ min: eps * eps, name: nameFor(node, ctx, `__${suffix}_clamp`) }), squares, squares.torchShape, squares.layout);
    return math(node, ctx, clamped, 'rsqrt', `__${suffix}_rsqrt`);
  };
  return [times(node, ctx, times(node, ctx, dot, inverseNorm(x, 'x1'), '__scaled'), inverseNorm(y, 'x2'), '')];
};

/** A value in PyTorch order reshaped whole into one sample of PyTorch shape [1, ...shape]. */
function lifted(node: OpNode, ctx: BuildContext, x: KValue, shape: readonly number[], suffix: string): KValue {
  const plain = ctx.relayout(x, identityPerm(x.torchShape.length), node, 'a broadcast product reads its operands in PyTorch order');
  const full = [1, ...shape];
  return ctx.apply(new StaticReshape({ shape: full, name: nameFor(node, ctx, suffix) }), plain, full, { perm: identityPerm(full.length) });
}

/** A lifted value reshaped to the node's output shape (PyTorch order). */
function unlifted(node: OpNode, ctx: BuildContext, x: KValue): KValue {
  const out = outputShape(node, ctx);
  return ctx.apply(new StaticReshape({ shape: out.length === 0 ? [1] : out, name: nameFor(node, ctx) }), x, out, { perm: identityPerm(out.length) });
}

/** torch.cdist(x1 [..., P, M], x2 [..., R, M], p): the p-norm of the broadcast differences [..., P, R, M]. */
const cdist: Converter = (node, ctx) => {
  const args = node.bind(['x1', 'x2', 'p=', 'compute_mode=']);
  if (!isValueArg(args['x1']) || !isValueArg(args['x2'])) throw new Unsupported('cdist of a constant operand');
  const [x, y] = [input(node, ctx, args['x1']), input(node, ctx, args['x2'])];
  const p = num(args['p'], 'p', 2);
  const [rx, ry] = [x.torchShape.length, y.torchShape.length];
  if (rx !== ry || rx < 2 || x.torchShape.slice(0, -2).some((d, i) => d !== y.torchShape[i]) || x.torchShape[rx - 1] !== y.torchShape[ry - 1]) {
    throw new Unsupported(`cdist of shapes [${x.torchShape.join(', ')}] and [${y.torchShape.join(', ')}] (same batch axes and feature size only)`);
  }
  if (!(p > 0)) throw new Unsupported(`cdist with p=${p} (p > 0 only)`);
  const batch = x.torchShape.slice(0, -2);
  const [rows, columns, features] = [x.torchShape[rx - 2]!, y.torchShape[ry - 2]!, x.torchShape[rx - 1]!];
  const left = lifted(node, ctx, x, [...batch, rows, 1, features], '__rows');
  const right = lifted(node, ctx, y, [...batch, 1, columns, features], '__columns');
  const shape = [1, ...batch, rows, columns, features];
  const last = shape.length - 1;
  const diff = ctx.apply(new Subtract({ name: nameFor(node, ctx, '__difference') }), [left, right], shape, { perm: identityPerm(shape.length) });
  let distance: KValue;
  if (p === 2) distance = math(node, ctx, sumOver(node, ctx, times(node, ctx, diff, diff, '__squared'), last, '__sum'), 'sqrt', '__sqrt');
  else if (p === 1) distance = sumOver(node, ctx, math(node, ctx, diff, 'abs', '__abs'), last, '__sum');
  else if (p === Infinity) distance = sumOver(node, ctx, math(node, ctx, diff, 'abs', '__abs'), last, '__max', 'max');
  else distance = math(node, ctx, sumOver(node, ctx, math(node, ctx, math(node, ctx, diff, 'abs', '__abs'), 'pow', '__pow', p), last, '__sum'), 'pow', '__root', 1 / p);
  return [unlifted(node, ctx, distance)];
};

/** torch.kron(a, b): a [m, n] and b [p, q] as [m, 1, n, 1] * [1, p, 1, q], reshaped to [m * p, n * q] (any rank; unit axes dropped). */
const kron: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other', 'out=']);
  if (!isValueArg(args['input']) || !isValueArg(args['other'])) throw new Unsupported('kron of a constant operand');
  const [x, y] = [input(node, ctx, args['input']), input(node, ctx, args['other'])];
  const rank = Math.max(x.torchShape.length, y.torchShape.length);
  const padded = (v: KValue): number[] => [...new Array<number>(rank - v.torchShape.length).fill(1), ...v.torchShape];
  const [a, b] = [padded(x), padded(y)];
  // Axis pairs (a_i, 1), (1, b_i); a pair of two 1s is dropped (a rank-7 product came out wrong on tfjs's wasm backend).
  const pairs = a
    .flatMap((d, i): [number, number][] => [
      [d, 1],
      [1, b[i]!],
    ])
    .filter(([p, q]) => p !== 1 || q !== 1);
  if (pairs.length === 0) pairs.push([1, 1]);
  const left = lifted(
    node,
    ctx,
    x,
    pairs.map(([p]) => p),
    '__left',
  );
  const right = lifted(
    node,
    ctx,
    y,
    pairs.map(([, q]) => q),
    '__right',
  );
  const shape = [1, ...pairs.map(([p, q]) => p * q)];
  const product = ctx.apply(MULTIPLY(nameFor(node, ctx, '__product')), [left, right], shape, { perm: identityPerm(shape.length) });
  return [unlifted(node, ctx, product)];
};

/** The weight and bias tensors of nn.Bilinear (the module's) or F.bilinear (constant arguments). */
function bilinearWeights(node: OpNode, ctx: BuildContext): { x1: GraphArg | undefined; x2: GraphArg | undefined; weight: string; shape: readonly number[]; bias?: string } {
  const module = node.node.module;
  if (module !== undefined) {
    const [x1, x2] = node.node.args;
    const shape = [node.attrNumber('out_features'), node.attrNumber('in1_features'), node.attrNumber('in2_features')];
    const hasBias = ctx.graph.modules[module]?.parameters.includes('bias') ?? false;
    return { x1, x2, weight: `${module === '' ? '' : `${module}.`}weight`, shape, ...(hasBias ? { bias: `${module === '' ? '' : `${module}.`}bias` } : {}) };
  }
  const args = node.bind(['input1', 'input2', 'weight', 'bias=']);
  const weight = args['weight'];
  if (!isTensorConstant(weight)) throw new Unsupported('F.bilinear with a weight computed from the inputs (only a parameter or buffer converts)');
  const source = constantSource(node, ctx, weight);
  const biasArg = args['bias'];
  const noBias = biasArg === undefined || ('const' in biasArg && biasArg.const === null);
  if (!noBias && !isTensorConstant(biasArg)) throw new Unsupported('F.bilinear with a bias computed from the inputs (add it after instead)');
  const bias = noBias ? undefined : constantSource(node, ctx, biasArg as { param: string } | { constant: string }).tensor;
  return { x1: args['input1'], x2: args['input2'], weight: source.tensor, shape: source.shape, ...(bias !== undefined ? { bias } : {}) };
}

/**
 * nn.Bilinear / F.bilinear: y[o] = x1 W[o] x2 + b[o]. A Dense without bias maps x1 [*, in1] to
 * [*, out * in2] (its kernel is W permuted to (in1, out, in2) and reshaped), reshaped to [*, out, in2],
 * multiplied by x2 as [*, 1, in2], summed over in2, the bias added.
 */
const bilinear: Converter = (node, ctx) => {
  const { x1, x2, weight, shape, bias } = bilinearWeights(node, ctx);
  if (!isValueArg(x1) || !isValueArg(x2)) throw new Unsupported('a bilinear form of a constant input');
  if (shape.length !== 3) throw new Unsupported(`a bilinear weight of shape [${shape.join(', ')}] (it must be [out, in1, in2])`);
  const [units, in1, in2] = [shape[0]!, shape[1]!, shape[2]!];
  const plainOf = (arg: GraphArg): KValue => {
    const v = input(node, ctx, arg);
    return ctx.relayout(v, identityPerm(v.torchShape.length), node, 'a bilinear form reads its inputs in PyTorch order');
  };
  const [a, b] = [plainOf(x1), plainOf(x2)];
  const lead = a.torchShape.slice(0, -1);
  if (a.torchShape[a.torchShape.length - 1] !== in1 || b.torchShape.length !== a.torchShape.length || b.torchShape[b.torchShape.length - 1] !== in2 || lead.some((d, i) => b.torchShape[i] !== d)) {
    throw new Unsupported(`a bilinear form of inputs [${a.torchShape.join(', ')}] and [${b.torchShape.join(', ')}] with a weight [${shape.join(', ')}]`);
  }
  const dense = tf.layers.dense({ units: units * in2, useBias: false, kernelInitializer: 'zeros', name: nameFor(node, ctx, '__projection') });
  ctx.fillFrom(dense.name, 'kernel', weight, { kind: 'permuteReshape', torch: [units, in1, in2], axes: [1, 0, 2] });
  const rank = lead.length + 2;
  const perm = { perm: identityPerm(rank) };
  const projected = ctx.apply(dense, a, [...lead, units * in2], { perm: identityPerm(lead.length + 1) });
  const split = ctx.apply(tf.layers.reshape({ targetShape: [...lead.slice(1), units, in2], name: nameFor(node, ctx, '__split') }), projected, [...lead, units, in2], perm);
  const row = ctx.apply(tf.layers.reshape({ targetShape: [...lead.slice(1), 1, in2], name: nameFor(node, ctx, '__row') }), b, [...lead, 1, in2], perm);
  const product = ctx.apply(MULTIPLY(nameFor(node, ctx, '__product')), [split, row], [...lead, units, in2], perm);
  const summed = sumOver(node, ctx, product, rank - 1, bias === undefined ? '' : '__sum');
  if (bias === undefined) return [summed];
  const kerasShape = [...new Array<number>(lead.length).fill(1), units];
  const add = new ConstantArithmetic({ op: 'add', shape: kerasShape, name: nameFor(node, ctx) });
  ctx.fillFrom(add.name, 'value', bias, { kind: 'aligned', rank: lead.length + 1, axes: identityPerm(lead.length + 1) });
  return [ctx.apply(add, summed, summed.torchShape, summed.layout)];
};

export const FAMILY: OpFamily = {
  name: 'Vector products',
  layers: [],
  ops: {
    ...spellings(['torch.linalg.cross', 'torch._C._linalg.linalg_cross', 'torch.cross', 'Tensor.cross'], op(cross)),
    ...spellings(['F.cosine_similarity', 'torch.cosine_similarity'], op(cosineSimilarity)),
    'torch.cdist': op(cdist),
    ...spellings(['torch.kron', 'Tensor.kron'], op(kron)),
    Bilinear: op(bilinear),
    ...spellings(['F.bilinear', 'torch.bilinear'], op(bilinear)),
  },
};
