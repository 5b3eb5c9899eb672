// Matrix products. A computed tensor times a constant matrix (a parameter or buffer used directly in
// forward: x @ W, torch.mm(x, W), F.linear(x, W, b), torch.addmm(b, x, W)) is a Dense layer on the
// last axis, whose kernel the weight transfer fills from the constant; two computed tensors go to
// the batched product of ./math.ts.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { BatchMatMul } from '../../layers/index.ts';
import { IDENTITY, permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { input, nameFor, outputShape, type Converter } from './common.ts';
import { constantSource } from './constants.ts';
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

/** matmul / mm / bmm / @: a constant right matrix is a Dense layer, two computed tensors a batched product. */
const matmul: Converter = (node, ctx) => {
  const [a, b] = node.node.args;
  if (isTensorConstant(b)) return project(node, ctx, { x: a, weight: b, outIn: false });
  return matmulOfValues(node, ctx);
};

function checkMatmul(node: OpNode): string | undefined {
  const [a, b] = node.node.args;
  if (!isValueArg(a)) return 'a product whose left operand is a constant (transpose it: (x.mT @ W.mT).mT, or use nn.Linear)';
  if (!isValueArg(b) && !isTensorConstant(b)) return 'a product with a plain Python value as operand';
  return undefined;
}

const functionalLinear: Converter = (node, ctx) => {
  const args = node.bind(['input', 'weight', 'bias=']);
  return project(node, ctx, { x: args['input'], weight: args['weight'], outIn: true, bias: args['bias'] });
};

/** torch.addmm(bias, x, W, beta=1, alpha=1) with constant W and bias. */
const addmm: Converter = (node, ctx) => {
  const args = node.bind(['input', 'mat1', 'mat2', 'beta=', 'alpha=']);
  if (!isTensorConstant(args['mat2'])) throw new Unsupported('addmm of computed matrices (only torch.addmm(bias, x, W) with a parameter W and bias converts: use nn.Linear)');
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
  if (inputs.length !== 2 || operands.length !== 2) throw new Unsupported(`einsum '${equation}' (only two-operand matrix products convert; write other contractions with permute / sum / *)`);
  const [a, b] = operands;
  if (isTensorConstant(b) && isValueArg(a)) {
    const [left, right] = [inputs[0]!, inputs[1]!];
    const contracted = left[left.length - 1]!;
    const kept = left.slice(0, -1);
    if (right.length === 2 && right.includes(contracted) && !kept.includes(right.replace(contracted, '')) && out === kept + right.replace(contracted, '')) {
      return project(node, ctx, { x: a, weight: b, outIn: right[0] !== contracted });
    }
    throw new Unsupported(`einsum '${equation}' with a constant operand (only a projection of the last axis, like 'bnd,de->bne', converts; use nn.Linear)`);
  }
  if (!isValueArg(a) || !isValueArg(b)) throw new Unsupported(`einsum '${equation}' with a constant first operand (put the computed tensor first)`);
  const [x, y] = [input(node, ctx, a), input(node, ctx, b)];
  // '...' stands for the same leading axes on both sides: spell them with letters einsum does not use.
  const spare = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => !equation.includes(c));
  const expand = (spec: string, rank: number): string => (spec.includes('...') ? spec.replace('...', spare.slice(0, rank - (spec.length - 3)).join('')) : spec);
  const contraction = batchedProduct(expand(inputs[0]!, x.torchShape.length), expand(inputs[1]!, y.torchShape.length), expand(out, outputShape(node, ctx).length));
  if (!contraction) throw new Unsupported(`einsum '${equation}' (only batched matrix products like 'bij,bjk->bik' and projections like 'bnd,de->bne' convert; write other contractions with permute / sum / *)`);
  if (!x.torchShape.slice(0, -2).every((d, i) => d === y.torchShape[i])) throw new Unsupported(`einsum '${equation}' broadcasting batch axes`);
  const plainOrder = (value: KValue): KValue => ctx.relayout(value, identityPerm(value.torchShape.length), node, 'a batched product needs the axes in PyTorch order');
  const layer = new BatchMatMul({ ...contraction, name: nameFor(node, ctx) });
  return [ctx.apply(layer, [plainOrder(x), plainOrder(y)], outputShape(node, ctx), { perm: identityPerm(x.torchShape.length) })];
};

const MATMUL = op(matmul, checkMatmul);

export const FAMILY: OpFamily = {
  name: 'Matrix products',
  layers: [BatchMatMul],
  ops: {
    ...spellings(['torch.matmul', 'torch.bmm', 'torch.mm', 'Tensor.matmul', 'Tensor.bmm', 'Tensor.mm', 'Tensor.__matmul__'], MATMUL),
    'F.linear': op(functionalLinear),
    'torch.addmm': op(addmm),
    'torch.einsum': op(einsum),
  },
};
