// Matrix products. A computed tensor times a constant matrix (a parameter or buffer used directly in
// forward: x @ W, torch.mm(x, W), F.linear(x, W, b), torch.addmm(b, x, W)) is a Dense layer on the
// last axis, whose kernel the weight transfer fills from the constant; two computed tensors go to
// the batched product of ./math.ts.
import * as tf from '@tensorflow/tfjs';
import type { GraphArg } from '../../../torch/index.ts';
import { IDENTITY, permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, isTensorConstant, isValueArg, num, type OpNode } from '../op_node.ts';
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

const MATMUL = op(matmul, checkMatmul);

export const FAMILY: OpFamily = {
  name: 'Matrix products',
  layers: [],
  ops: {
    ...spellings(['torch.matmul', 'torch.bmm', 'torch.mm', 'Tensor.matmul', 'Tensor.bmm', 'Tensor.mm', 'Tensor.__matmul__'], MATMUL),
    'F.linear': op(functionalLinear),
    'torch.addmm': op(addmm),
  },
};
