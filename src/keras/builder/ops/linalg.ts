// Matrix products. A computed tensor times a constant matrix (a parameter or buffer used directly in
// forward: x @ W, torch.mm(x, W), F.linear(x, W, b), torch.addmm(b, x, W)) is a Dense layer on the
// last axis, whose kernel the weight transfer fills from the constant; two computed tensors go to
// the batched product of ./math.ts.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { BatchMatMul, BroadcastTo, ConstantArithmetic, Reduce, StaticReshape } from '../../layers/index.ts';
import { IDENTITY, permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { input, nameFor, outputShape, type Converter } from './common.ts';
import { constantSource, constantValue } from './constants.ts';
import { gatherByMap } from './index_map.ts';
import { dropLift, liftBatch } from '../batch_axis.ts';
import { matmul as matmulOfValues } from './math.ts';
import { op, spellings, type OpFamily } from '../family.ts';

interface Projection {
  readonly x: GraphArg | undefined;
  readonly weight: GraphArg | undefined;
  /** The weight is stored [out, in] (F.linear) rather than [in, out] (x @ W). */
  readonly outIn: boolean;
  readonly bias?: GraphArg | undefined;
}

/** x @ W with W a constant 2-D matrix: Dense over x's last axis. */
function project(node: OpNode, ctx: BuildContext, { x: xArg, weight, outIn, bias }: Projection): KValue[] {
  if (!isValueArg(xArg)) throw new Unsupported('a product whose left operand is a constant (transpose it: (x.mT @ W.mT).mT, or use nn.Linear)');
  if (!isTensorConstant(weight)) throw new Unsupported('a weight operand computed from the inputs (only a parameter or buffer matrix converts here: use nn.Linear, or keep the weight a parameter)');
  const source = constantSource(node, ctx, weight);
  if (source.shape.length !== 2) throw new Unsupported(`a product with a constant of rank ${source.shape.length} (only a 2-D constant matrix becomes a Dense layer; use nn.Linear)`);
  const units = outIn ? source.shape[0]! : source.shape[1]!;
  const biasSource = bias === undefined || ('const' in bias && bias.const === null) ? undefined : isTensorConstant(bias) ? constantSource(node, ctx, bias) : undefined;
  if (bias !== undefined && !('const' in bias && bias.const === null) && biasSource === undefined) throw new Unsupported('a bias that is computed from the inputs (add it after the product instead)');
  if (biasSource !== undefined && (biasSource.shape.length !== 1 || biasSource.shape[0] !== units)) {
    throw new Unsupported(`a bias of shape [${biasSource.shape.join(', ')}] (only a vector of the ${units} output features is supported)`);
  }
  let x = ctx.plain(input(node, ctx, xArg), node);
  const rank = x.torchShape.length;
  if (rank < 2) throw new Unsupported('a product whose left operand is a vector (its only axis is the batch axis in Keras)');
  const last = rank - 1;
  if (x.layout.perm[last] !== last) x = ctx.relayout(x, [...x.layout.perm.filter((a) => a !== last), last], node, 'a matrix product acts on the last axis');
  const layer = tf.layers.dense({ units, useBias: biasSource !== undefined, kernelInitializer: 'zeros', name: nameFor(node, ctx) });
  ctx.fillFrom(layer.name, 'kernel', source.tensor, outIn ? permute(1, 0) : IDENTITY);
  if (biasSource !== undefined) ctx.fillFrom(layer.name, 'bias', biasSource.tensor);
  return [ctx.apply(layer, x, outputShape(node, ctx), x.layout)];
}

/**
 * An einsum projecting one axis (letter `contracted`) of a computed tensor by a constant 2-D matrix
 * ('bchw,oc->bohw'): the axis is brought last in Keras (already there for channels of an NHWC value),
 * one Dense layer replaces it by `fresh`, and the result is laid out in the output's letter order.
 */
function projectAxis(
  node: OpNode,
  ctx: BuildContext,
  xArg: GraphArg,
  weight: { param: string } | { constant: string },
  spec: string,
  contracted: string,
  fresh: string,
  out: string,
  outIn: boolean,
): KValue {
  const source = constantSource(node, ctx, weight);
  if (source.shape.length !== 2) throw new Unsupported(`einsum with a constant of rank ${source.shape.length}`);
  const units = outIn ? source.shape[0]! : source.shape[1]!;
  const x = ctx.plain(input(node, ctx, xArg), node);
  const axis = spec.indexOf(contracted);
  const moved = ctx.relayout(x, [...x.layout.perm.filter((p) => p !== axis), axis], node, 'a projection acts on the last Keras axis');
  const layer = tf.layers.dense({ units, useBias: false, kernelInitializer: 'zeros', name: nameFor(node, ctx) });
  ctx.fillFrom(layer.name, 'kernel', source.tensor, outIn ? permute(1, 0) : IDENTITY);
  const kerasLetters = [...moved.layout.perm.slice(0, -1).map((p) => spec[p]!), fresh];
  return ctx.apply(layer, moved, outputShape(node, ctx), { perm: kerasLetters.map((c) => out.indexOf(c)) });
}

/** PyTorch's broadcast of two batch shapes (both already checked broadcastable by the capture). */
const broadcastShapes = (a: readonly number[], b: readonly number[]): number[] => {
  const rank = Math.max(a.length, b.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a), pad(b)];
  return pa.map((d, i) => (d === 1 ? pb[i]! : d));
};

/**
 * a @ b with PyTorch's matmul rules (a vector operand gains a unit axis that the result loses, the
 * batch axes broadcast) on operands of any rank, computed on the whole tensors: each operand in
 * PyTorch's order is reshaped into one sample [1, ...batch, rows, cols] (../batch_axis.ts), both
 * broadcast to the common batch, one BATCH_MATMUL. Returns that lifted product, PyTorch shape
 * [1, ...batch, m, n].
 */
function liftedProduct(node: OpNode, ctx: BuildContext, x: KValue, y: KValue): KValue {
  const a = x.torchShape.length === 1 ? [1, ...x.torchShape] : [...x.torchShape];
  const b = y.torchShape.length === 1 ? [...y.torchShape, 1] : [...y.torchShape];
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  const operand = (value: KValue, matrix: number[], suffix: string): KValue => {
    const plain = ctx.relayout(value, identityPerm(value.torchShape.length), node, 'a matrix product reads its operands in PyTorch order');
    const own = [1, ...new Array<number>(batch.length - (matrix.length - 2)).fill(1), ...matrix];
    const perm = identityPerm(own.length);
    const lifted = ctx.apply(new StaticReshape({ shape: own, name: nameFor(node, ctx, `__${suffix}`) }), plain, own, { perm });
    const full = [1, ...batch, ...matrix.slice(-2)];
    if (own.every((d, i) => d === full[i])) return lifted;
    return ctx.apply(new BroadcastTo({ shape: full.slice(1), name: nameFor(node, ctx, `__${suffix}_broadcast`) }), lifted, full, { perm });
  };
  const [left, right] = [operand(x, a, 'a'), operand(y, b, 'b')];
  const out = [1, ...batch, a[a.length - 2]!, b[b.length - 1]!];
  return ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__product') }), [left, right], out, { perm: identityPerm(out.length) });
}

/** A lifted value ([1, ...]) reshaped to the recorded PyTorch shape `shape` (PyTorch order). */
function unlift(node: OpNode, ctx: BuildContext, lifted: KValue, shape: readonly number[]): KValue {
  const keras = shape.length === 0 ? [1] : [...shape];
  return ctx.apply(new StaticReshape({ shape: keras, name: nameFor(node, ctx) }), lifted, shape, { perm: identityPerm(shape.length) });
}

/** A tensor constant as the operand of a batched product with the computed `other` (rank >= 3). */
function constantOperand(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }, other: KValue): KValue {
  const rank = other.torchShape.length;
  const { shape } = constantSource(node, ctx, arg);
  if (rank < 3 || shape.length > rank || (shape.length === rank && shape[0] !== 1)) {
    throw new Unsupported(`a product of a constant of shape [${shape.join(', ')}] with a computed tensor of rank ${rank} (a 2-D constant matrix on the right becomes a Dense layer; use nn.Linear)`);
  }
  return constantValue(node, ctx, arg, rank, identityPerm(rank), other);
}

/**
 * x @ W with a constant W that has x's batch axes ([B, k, n] for bmm): both lifted into one sample
 * ([1, B, m, k], the constant [1, B, k, n]), one BATCH_MATMUL, the result's lift dropped.
 */
function batchedConstantProduct(node: OpNode, ctx: BuildContext, x: KValue, weight: { param: string } | { constant: string }): KValue {
  const { shape } = constantSource(node, ctx, weight);
  const rank = x.torchShape.length;
  if (x.torchShape.slice(0, -2).some((d, i) => shape[i] !== d && shape[i] !== 1)) {
    throw new Unsupported(`a product of a computed tensor [${x.torchShape.join(', ')}] with a constant of shape [${shape.join(', ')}] whose batch axes differ`);
  }
  const lifted = liftBatch(node, ctx, ctx.relayout(x, identityPerm(rank), node, 'a batched product reads its operands in PyTorch order'));
  const constant = constantValue(node, ctx, weight, rank + 1, identityPerm(rank + 1), lifted);
  const out = outputShape(node, ctx);
  const prod = ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__product') }), [lifted, constant], [1, ...out], { perm: identityPerm(rank + 1) });
  return dropLift(node, ctx, prod);
}

/** The product of two values: one BATCH_MATMUL when their batch axes match, else the lifted product. */
function product(node: OpNode, ctx: BuildContext, x: KValue, y: KValue, out: readonly number[]): KValue {
  const rank = x.torchShape.length;
  if (rank >= 3 && y.torchShape.length === rank && x.torchShape.slice(0, -2).every((d, i) => d === y.torchShape[i])) {
    const plainOrder = (value: KValue): KValue => ctx.relayout(value, identityPerm(rank), node, 'a batched product needs the axes in PyTorch order');
    return ctx.apply(new BatchMatMul({ name: nameFor(node, ctx) }), [plainOrder(x), plainOrder(y)], out, { perm: identityPerm(rank) });
  }
  return unlift(node, ctx, liftedProduct(node, ctx, x, y), out);
}

/** matmul / mm / bmm / @ / mv / dot: a constant right matrix is a Dense layer, anything else a product. */
const matmul: Converter = (node, ctx) => {
  const [a, b] = node.node.args;
  if (isTensorConstant(b) && isValueArg(a)) {
    const shape = constantSource(node, ctx, b).shape;
    if (shape.length === 2) return project(node, ctx, { x: a, weight: b, outIn: false });
    const x = input(node, ctx, a);
    if (shape.length === x.torchShape.length && shape.length >= 3 && shape[0] !== 1) return [batchedConstantProduct(node, ctx, x, b)];
    return [product(node, ctx, input(node, ctx, a), constantOperand(node, ctx, b, input(node, ctx, a)), outputShape(node, ctx))];
  }
  if (isTensorConstant(a) && isValueArg(b)) return [product(node, ctx, constantOperand(node, ctx, a, input(node, ctx, b)), input(node, ctx, b), outputShape(node, ctx))];
  if (!isValueArg(a) || !isValueArg(b)) throw new Unsupported('a product with a plain Python value as operand');
  const [x, y] = [input(node, ctx, a), input(node, ctx, b)];
  if (x.torchShape.length >= 3 && y.torchShape.length === x.torchShape.length && x.torchShape.slice(0, -2).every((d, i) => d === y.torchShape[i])) return matmulOfValues(node, ctx);
  return [product(node, ctx, x, y, outputShape(node, ctx))];
};

/** torch.outer(a, b) / torch.ger: a column times a row. */
const outer: Converter = (node, ctx) => {
  const args = node.bind(['input', 'vec2']);
  const [x, y] = [input(node, ctx, args['input']), input(node, ctx, args['vec2'])];
  const column = liftedColumn(node, ctx, x, 'column', true);
  const row = liftedColumn(node, ctx, y, 'row', false);
  const out = outputShape(node, ctx);
  const lifted = ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__product') }), [column, row], [1, ...out], { perm: identityPerm(3) });
  return [unlift(node, ctx, lifted, out)];
};

/** A vector as a lifted [1, n, 1] column (or [1, 1, n] row). */
function liftedColumn(node: OpNode, ctx: BuildContext, v: KValue, suffix: string, column: boolean): KValue {
  const n = v.torchShape[0]!;
  const shape = column ? [1, n, 1] : [1, 1, n];
  return ctx.apply(new StaticReshape({ shape, name: nameFor(node, ctx, `__${suffix}`) }), v, shape, { perm: [0, 1, 2] });
}

/**
 * addmm / baddbmm / addbmm / addmv of computed operands: beta * input + alpha * (mat1 @ mat2),
 * addbmm summing the products over the batch; computed lifted, the result reshaped back.
 */
function scaledSum(kind: 'addmm' | 'baddbmm' | 'addbmm' | 'addmv'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', kind === 'addmv' ? 'mat' : 'batch1', kind === 'addmv' ? 'vec' : 'batch2', 'beta=', 'alpha=']);
    const [first, second] = kind === 'addmv' ? [args['mat'], args['vec']] : [args['batch1'], args['batch2']];
    if (!isValueArg(args['input']) || !isValueArg(first) || !isValueArg(second))
      throw new Unsupported(`${kind} with constant operands other than addmm(bias, x, W) (write beta * input + alpha * (a @ b))`);
    const [beta, alpha] = [num(args['beta'], 'beta', 1), num(args['alpha'], 'alpha', 1)];
    const out = outputShape(node, ctx);
    let prod = liftedProduct(node, ctx, input(node, ctx, first), input(node, ctx, second));
    if (kind === 'addmv') prod = ctx.apply(new StaticReshape({ shape: [1, ...out], name: nameFor(node, ctx, '__vector') }), prod, [1, ...out], { perm: identityPerm(out.length + 1) });
    if (kind === 'addbmm') prod = ctx.apply(new Reduce({ op: 'sum', axes: [1], keepDims: false, name: nameFor(node, ctx, '__sum') }), prod, [1, ...out], { perm: identityPerm(out.length + 1) });
    const scale = (value: KValue, factor: number, suffix: string): KValue =>
      factor === 1 ? value : ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: factor, name: nameFor(node, ctx, suffix) }), value, value.torchShape, value.layout);
    const bias = input(node, ctx, args['input']);
    const plainBias = ctx.relayout(bias, identityPerm(bias.torchShape.length), node, 'the added input is read in PyTorch order');
    const biasShape = [1, ...new Array<number>(out.length - bias.torchShape.length).fill(1), ...bias.torchShape];
    const liftedBias = ctx.apply(new StaticReshape({ shape: biasShape, name: nameFor(node, ctx, '__input') }), plainBias, biasShape, { perm: identityPerm(biasShape.length) });
    const sum = ctx.apply(tf.layers.add({ name: nameFor(node, ctx, '__sum_terms') }), [scale(liftedBias, beta, '__beta'), scale(prod, alpha, '__alpha')], [1, ...out], {
      perm: identityPerm(out.length + 1),
    });
    return [unlift(node, ctx, sum, out)];
  };
}

function checkMatmul(node: OpNode): string | undefined {
  const [a, b] = node.node.args;
  if (!isValueArg(a) && !isValueArg(b)) return 'a product of two constants (fold it outside the model)';
  if (!isValueArg(b) && !isTensorConstant(b)) return 'a product with a plain Python value as operand';
  return undefined;
}

const functionalLinear: Converter = (node, ctx) => {
  const args = node.bind(['input', 'weight', 'bias=']);
  return project(node, ctx, { x: args['input'], weight: args['weight'], outIn: true, bias: args['bias'] });
};

/** torch.addmm(bias, x, W, beta=1, alpha=1): a Dense layer for constant W and bias, else a scaled sum. */
const addmm: Converter = (node, ctx) => {
  const args = node.bind(['input', 'mat1', 'mat2', 'beta=', 'alpha=']);
  if (!isTensorConstant(args['mat2'])) return scaledSum('addmm')(node, ctx);
  if (num(args['beta'], 'beta', 1) !== 1 || num(args['alpha'], 'alpha', 1) !== 1) throw new Unsupported('addmm with beta or alpha other than 1 (write beta * input + alpha * (mat1 @ mat2))');
  return project(node, ctx, { x: args['mat1'], weight: args['mat2'], outIn: false, bias: args['input'] });
};

/** An einsum operand list: torch.einsum(eq, a, b) or torch.einsum(eq, [a, b]). */
function einsumOperands(node: OpNode): GraphArg[] {
  const rest = node.node.args.slice(1);
  const only = rest[0];
  return rest.length === 1 && only !== undefined && 'list' in only ? [...only.list] : rest;
}

interface Contraction {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** Is `a,b->out` a batched matrix product (shared leading batch letters, one contracted letter)? */
function batchedProduct(a: string, b: string, out: string): Contraction | undefined {
  const r = a.length;
  if (r < 3 || b.length !== r || out.length !== r) return undefined;
  const batch = out.slice(0, r - 2);
  if (a.slice(0, r - 2) !== batch || b.slice(0, r - 2) !== batch) return undefined;
  const [i, k] = [out[r - 2]!, out[r - 1]!];
  const aMat = a.slice(r - 2);
  const bMat = b.slice(r - 2);
  const j = [...aMat].find((c) => c !== i);
  if (j === undefined || new Set([...batch, i, j, k]).size !== r + 1) return undefined;
  if (aMat !== i + j && aMat !== j + i) return undefined;
  if (bMat !== j + k && bMat !== k + j) return undefined;
  return { transposeA: aMat === j + i, transposeB: bMat === k + j };
}

/**
 * torch.einsum for the contractions that are one matrix product: a batched product of two computed
 * tensors ('bij,bjk->bik', attention's 'bhqd,bhkd->bhqk', '...ij,...jk->...ik') and a projection by a
 * constant matrix over the last axis ('bnd,de->bne').
 */
const einsum: Converter = (node, ctx) => {
  const equation = literal(node.node.args[0], 'equation');
  if (typeof equation !== 'string') throw new Unsupported('an einsum without a literal equation string');
  const operands = einsumOperands(node);
  const [lhs, out] = equation.replace(/\s/g, '').split('->');
  if (out === undefined) throw new Unsupported(`einsum '${equation}' without an explicit '->' output`);
  const inputs = lhs!.split(',');
  if (inputs.length === 1 && operands.length === 1 && isValueArg(operands[0]) && !equation.includes('...')) {
    const [x, spec] = diagonal(node, ctx, equation, input(node, ctx, operands[0]), inputs[0]!);
    return [permuteAndSum(node, ctx, equation, x, spec, out)];
  }
  if (inputs.length !== 2 || operands.length !== 2) throw new Unsupported(`einsum '${equation}' (only one- and two-operand einsums convert; write it with permute / sum / * or matmul)`);
  const [a, b] = operands;
  if (isTensorConstant(b) && isValueArg(a)) {
    const [left, right] = [inputs[0]!, inputs[1]!];
    const contracted = left[left.length - 1]!;
    const kept = left.slice(0, -1);
    if (right.length === 2 && right.includes(contracted) && !kept.includes(right.replace(contracted, '')) && out === kept + right.replace(contracted, '')) {
      return project(node, ctx, { x: a, weight: b, outIn: right[0] !== contracted });
    }
    const mixed = right.length === 2 ? [...left].find((c) => right.includes(c)) : undefined;
    if (mixed !== undefined && isValueArg(a)) {
      const fresh = right.replace(mixed, '');
      if (
        fresh !== mixed &&
        !left.includes(fresh) &&
        new Set(left).size === left.length &&
        left[0] !== mixed &&
        out[0] === left[0] &&
        out.length === left.length &&
        [...left].every((c) => c === mixed || out.includes(c)) &&
        out.includes(fresh)
      ) {
        return [projectAxis(node, ctx, a, b, left, mixed, fresh, out, right[0] !== mixed)];
      }
    }
    throw new Unsupported(`einsum '${equation}' with a constant operand (only a projection of one non-batch axis by a 2-D constant, like 'bnd,de->bne' or 'bchw,oc->bohw', converts; use nn.Linear)`);
  }
  if (!isValueArg(a) || !isValueArg(b)) throw new Unsupported(`einsum '${equation}' with a constant first operand (put the computed tensor first)`);
  const [valueA, valueB] = [input(node, ctx, a), input(node, ctx, b)];
  // '...' stands for the same leading axes on both sides: spell them with letters einsum does not use.
  const spare = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => !equation.includes(c));
  const expand = (spec: string, rank: number): string => (spec.includes('...') ? spec.replace('...', spare.slice(0, rank - (spec.length - 3)).join('')) : spec);
  // A letter repeated within one operand ('ii,i->i') reads its diagonal.
  const [x, specA] = diagonal(node, ctx, equation, valueA, expand(inputs[0]!, valueA.torchShape.length));
  const [y, specB] = diagonal(node, ctx, equation, valueB, expand(inputs[1]!, valueB.torchShape.length));
  const specOut = expand(out, outputShape(node, ctx).length);
  const contraction = batchedProduct(specA, specB, specOut);
  if (!contraction || !x.torchShape.slice(0, -2).every((d, i) => d === y.torchShape[i])) return [generalContraction(node, ctx, equation, [x, specA], [y, specB], specOut)];
  const plainOrder = (value: KValue): KValue => ctx.relayout(value, identityPerm(value.torchShape.length), node, 'a batched product needs the axes in PyTorch order');
  const layer = new BatchMatMul({ ...contraction, name: nameFor(node, ctx) });
  return [ctx.apply(layer, [plainOrder(x), plainOrder(y)], outputShape(node, ctx), { perm: identityPerm(x.torchShape.length) })];
};

/**
 * An einsum operand whose letters repeat ('ii', 'bii', 'iji'): its diagonal over the axes of each repeated
 * letter, one axis per letter in the order of first appearance (torch.diagonal's), gathered at static
 * positions. Returned with its spec, each letter once; an operand without repeats is returned as it is.
 */
function diagonal(node: OpNode, ctx: BuildContext, equation: string, x: KValue, spec: string): [KValue, string] {
  if (spec.length !== x.torchShape.length) throw new Unsupported(`einsum '${equation}' names ${spec.length} axes of a rank-${x.torchShape.length} operand`);
  const letters = [...new Set(spec)];
  if (letters.length === spec.length) return [x, spec];
  const size = (c: string): number => x.torchShape[spec.indexOf(c)]!;
  const uneven = letters.find((c) => [...spec].some((d, axis) => d === c && x.torchShape[axis] !== size(c)));
  if (uneven !== undefined) throw new Unsupported(`einsum '${equation}' repeats the letter '${uneven}' on axes of different sizes`);
  const value = gatherByMap(node, ctx, [x], letters.map(size), (o) => ({ input: 0, index: [...spec].map((c) => o[letters.indexOf(c)]!) }));
  return [value, letters.join('')];
}

/** A one-operand einsum without repeated letters ('bij->bji', 'bchw->bhwc', 'bij->b'): a sum, then a layout. */
function permuteAndSum(node: OpNode, ctx: BuildContext, equation: string, x: KValue, a: string, out: string): KValue {
  if ([...out].some((c) => !a.includes(c)) || new Set(out).size !== out.length) throw new Unsupported(`einsum '${equation}' has an output letter its operand does not have`);
  const plain = ctx.relayout(x, identityPerm(x.torchShape.length), node, 'an einsum operand is read in PyTorch order');
  let lifted = liftBatch(node, ctx, plain);
  const kept = [...a].filter((c) => out.includes(c));
  const summed = [...a].map((c, i) => (out.includes(c) ? -1 : i + 1)).filter((axis) => axis > 0);
  const size = (c: string): number => x.torchShape[a.indexOf(c)]!;
  if (summed.length > 0) {
    const shape = [1, ...kept.map(size)];
    lifted = ctx.apply(new Reduce({ op: 'sum', axes: summed, keepDims: false, name: nameFor(node, ctx, '__sum') }), lifted, shape, { perm: identityPerm(shape.length) });
  }
  const held: KValue = { ...lifted, torchShape: [1, ...[...out].map(size)], layout: { perm: [0, ...kept.map((c) => 1 + out.indexOf(c))] } };
  return dropLift(node, ctx, held);
}

/**
 * Any two-operand einsum whose letters each appear once per operand and whose summed letters appear
 * in both: shared output letters are batch axes, shared summed letters are contracted, the rest
 * are rows of one side and columns of the other. Both operands are put in [batch, rows,
 * contracted] / [batch, contracted, columns] order, reshaped whole into one sample
 * [1, ...batch, M, K] / [1, ...batch, K, N], multiplied (BATCH_MATMUL), and the product reshaped
 * to [1, ...batch, rows..., columns...] and laid out in the output's letter order.
 */
function generalContraction(node: OpNode, ctx: BuildContext, equation: string, [x, a]: [KValue, string], [y, b]: [KValue, string], out: string): KValue {
  const refuse = (why: string): never => {
    throw new Unsupported(`einsum '${equation}' ${why} (write it with permute / sum / * or matmul)`);
  };
  if (new Set(out).size !== out.length) refuse('repeats a letter in its output');
  if ([...out].some((c) => !a.includes(c) && !b.includes(c))) refuse('has an output letter that no operand has');
  if ([...a].some((c) => !b.includes(c) && !out.includes(c)) || [...b].some((c) => !a.includes(c) && !out.includes(c))) refuse('sums a letter that only one operand has');
  const batch = [...out].filter((c) => a.includes(c) && b.includes(c));
  const rows = [...out].filter((c) => a.includes(c) && !b.includes(c));
  const columns = [...out].filter((c) => b.includes(c) && !a.includes(c));
  const contracted = [...a].filter((c) => b.includes(c) && !out.includes(c));
  const size = (c: string): number => (a.includes(c) ? x.torchShape[a.indexOf(c)]! : y.torchShape[b.indexOf(c)]!);
  if (batch.some((c) => a.includes(c) && b.includes(c) && x.torchShape[a.indexOf(c)] !== y.torchShape[b.indexOf(c)])) refuse('broadcasts a shared letter');
  const product = (letters: string[]): number => letters.reduce((n, c) => n * size(c), 1);
  const operand = (value: KValue, spec: string, order: string[], matrix: [number, number], suffix: string): KValue => {
    const plain = ctx.relayout(value, identityPerm(value.torchShape.length), node, 'an einsum operand is read in PyTorch order');
    const lifted = liftBatch(node, ctx, plain);
    const ordered = ctx.relayout(lifted, [0, ...order.map((c) => 1 + spec.indexOf(c))], node, `einsum '${equation}' brings the ${suffix} operand into [batch, rows, columns] order`);
    const shape = [1, ...batch.map(size), ...matrix];
    return ctx.apply(new StaticReshape({ shape, name: nameFor(node, ctx, `__${suffix}`) }), ordered, shape, { perm: identityPerm(shape.length) });
  };
  const [m, k, n] = [product(rows), product(contracted), product(columns)];
  const left = operand(x, a, [...batch, ...rows, ...contracted], [m, k], 'left');
  const right = operand(y, b, [...batch, ...contracted, ...columns], [k, n], 'right');
  const mm = ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__product') }), [left, right], [1, ...batch.map(size), m, n], { perm: identityPerm(batch.length + 3) });
  const letters = [...batch, ...rows, ...columns];
  const split = [1, ...letters.map(size)];
  const unsplit = ctx.apply(new StaticReshape({ shape: split, name: nameFor(node, ctx, '__split') }), mm, split, { perm: identityPerm(split.length) });
  // Keras holds the letters in `letters` order: as a value of the output's order, that is its layout.
  const held: KValue = { ...unsplit, torchShape: [1, ...[...out].map(size)], layout: { perm: [0, ...letters.map((c) => 1 + out.indexOf(c))] } };
  return dropLift(node, ctx, held);
}

/** torch.tensordot(a, b, dims): the einsum contracting the given axes pairs (or a's last n with b's first n). */
const tensordot: Converter = (node, ctx) => {
  const args = node.bind(['a', 'b', 'dims=', 'out=']);
  const [x, y] = [input(node, ctx, args['a'], 'a'), input(node, ctx, args['b'], 'b')];
  const [ra, rb] = [x.torchShape.length, y.torchShape.length];
  const raw = literal(args['dims'], 'dims') ?? 2;
  const pairs: [number[], number[]] | undefined =
    typeof raw === 'number'
      ? [Array.from({ length: raw }, (_, i) => ra - raw + i), Array.from({ length: raw }, (_, i) => i)]
      : Array.isArray(raw) && raw.length === 2
        ? [[raw[0]].flat() as number[], [raw[1]].flat() as number[]]
        : undefined;
  if (!pairs || pairs[0].length !== pairs[1].length || [...pairs[0], ...pairs[1]].some((d) => !Number.isInteger(d)))
    throw new Unsupported(`tensordot dims ${JSON.stringify(raw)} (an int or two lists of axes)`);
  const letters = [...'abcdefghijklmnopqrstuvwxyz'];
  const a = letters.slice(0, ra);
  const b = letters.slice(ra, ra + rb);
  pairs[0].forEach((d, i) => {
    b[(pairs[1][i]! + rb) % rb] = a[(d + ra) % ra]!;
  });
  const out = [...a.filter((c) => !b.includes(c)), ...b.filter((c) => !a.includes(c))].join('');
  return [generalContraction(node, ctx, `${a.join('')},${b.join('')}->${out}`, [x, a.join('')], [y, b.join('')], out)];
};

/**
 * torch.diagonal(x, offset, dim1, dim2): the axes dim1 and dim2 dropped, their diagonal (shifted by offset)
 * appended last, gathered at static positions.
 */
const diagonalOp: Converter = (node, ctx) => {
  const args = node.bind(['input', 'offset=', 'dim1=', 'dim2=']);
  const x = input(node, ctx, args['input']);
  const rank = x.torchShape.length;
  const norm = (d: number): number => (d < 0 ? d + rank : d);
  const [offset, dim1, dim2] = [num(args['offset'], 'offset', 0), norm(num(args['dim1'], 'dim1', 0)), norm(num(args['dim2'], 'dim2', 1))];
  if (dim1 === dim2 || ![dim1, dim2].every((d) => d >= 0 && d < rank)) throw new Unsupported(`diagonal of dims ${dim1} and ${dim2} of a rank-${rank} tensor`);
  const length = Math.max(0, Math.min(x.torchShape[dim1]! + Math.min(offset, 0), x.torchShape[dim2]! - Math.max(offset, 0)));
  if (length === 0) throw new Unsupported(`diagonal with offset ${offset} is empty`);
  const kept = identityPerm(rank).filter((d) => d !== dim1 && d !== dim2);
  const shape = [...kept.map((d) => x.torchShape[d]!), length];
  return [
    gatherByMap(node, ctx, [x], shape, (o) => {
      const index = new Array<number>(rank);
      kept.forEach((d, i) => (index[d] = o[i]!));
      const i = o[kept.length]!;
      [index[dim1], index[dim2]] = [i - Math.min(offset, 0), i + Math.max(offset, 0)];
      return { input: 0, index };
    }),
  ];
};

/** torch.trace(x) of a 2-D x: einsum 'ii->'. */
const trace: Converter = (node, ctx) => {
  const [x, spec] = diagonal(node, ctx, 'ii->', input(node, ctx, node.node.args[0]), 'ii');
  return [permuteAndSum(node, ctx, 'ii->', x, spec, '')];
};

const MATMUL = op(matmul, checkMatmul);

export const FAMILY: OpFamily = {
  name: 'Matrix products',
  layers: [BatchMatMul],
  ops: {
    ...spellings(['torch.matmul', 'torch.bmm', 'torch.mm', 'Tensor.matmul', 'Tensor.bmm', 'Tensor.mm', 'Tensor.__matmul__'], MATMUL),
    'F.linear': op(functionalLinear),
    'torch.addmm': op(addmm),
    'torch.baddbmm': op(scaledSum('baddbmm')),
    'torch.addbmm': op(scaledSum('addbmm')),
    'torch.addmv': op(scaledSum('addmv')),
    ...spellings(['torch.mv', 'Tensor.mv', 'torch.dot', 'Tensor.dot'], MATMUL),
    ...spellings(['torch.outer', 'Tensor.outer', 'torch.ger'], op(outer)),
    'torch.einsum': op(einsum),
    'torch.tensordot': op(tensordot),
    ...spellings(['torch.diagonal', 'Tensor.diagonal'], op(diagonalOp)),
    ...spellings(['torch.trace', 'Tensor.trace'], op(trace)),
  },
};
