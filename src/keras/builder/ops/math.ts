// Elementwise math (sqrt, rsqrt, exp, log, erf, abs, pow with a constant exponent, clamp with
// constant bounds) and the matrix product of two computed tensors (matmul / bmm / @).
import * as tf from '@tensorflow/tfjs';
import { BatchMatMul, Clamp, MathFunction, type MathFunctionName } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, samePerm } from '../layout.ts';
import { Unsupported, isValueArg, literal, type OpNode } from '../op_node.ts';
import { firstInput, input, nameFor, outputShape, type Converter } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

/** An elementwise function keeps its input's layout (a flattened channels-last vector included). */
export function unary(fn: Exclude<MathFunctionName, 'pow'>): Converter {
  return (node, ctx) => {
    const x = firstInput(node, ctx);
    return [ctx.apply(new MathFunction({ fn, name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
  };
}

/** pow(x, p) / x ** p with a number p; p = 0.5 is sqrt, p = 1 nothing. */
export const pow: Converter = (node, ctx) => {
  const args = node.bind(['input', 'exponent']);
  if (isValueArg(args['exponent'])) throw new Unsupported('pow with a computed exponent (only a number is supported)');
  const exponent = literal(args['exponent'], 'exponent');
  if (typeof exponent !== 'number') throw new Unsupported(`pow exponent ${JSON.stringify(exponent)} (only a number is supported)`);
  const x = firstInput(node, ctx);
  if (exponent === 1) return [x];
  const layer = exponent === 0.5 ? new MathFunction({ fn: 'sqrt', name: nameFor(node, ctx) }) : new MathFunction({ fn: 'pow', exponent, name: nameFor(node, ctx) });
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
};

export function checkPow(node: OpNode): string | undefined {
  const exponent = node.node.args[1] ?? node.node.kwargs['exponent'];
  if (exponent === undefined || !('const' in exponent) || typeof exponent.const !== 'number') return 'pow with an exponent that is not a number (a tensor or a computed value)';
  return undefined;
}

/** clamp / clip with number bounds: ReLU / ReLU6 when they are (0, none) / (0, 6), else Clamp. */
export const clamp: Converter = (node, ctx) => {
  const args = node.bind(['input', 'min=', 'max=']);
  const bound = (key: 'min' | 'max'): number | null => {
    const arg = args[key];
    if (arg !== undefined && !('const' in arg)) throw new Unsupported(`clamp with a tensor ${key} (only numbers are supported)`);
    const v = literal(arg, key);
    if (v !== undefined && v !== null && typeof v !== 'number') throw new Unsupported(`clamp ${key} ${JSON.stringify(v)}`);
    return typeof v === 'number' ? v : null;
  };
  return clampTo(node, ctx, bound('min'), bound('max'));
};

function clampTo(node: OpNode, ctx: BuildContext, min: number | null, max: number | null): KValue[] {
  const x = firstInput(node, ctx);
  const name = nameFor(node, ctx);
  const layer =
    min === 0 && max === null
      ? tf.layers.activation({ activation: 'relu', name })
      : min === 0 && max === 6
        ? tf.layers.activation({ activation: 'relu6', name })
        : new Clamp({ min, max, name });
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
}

/** Tensor.clamp_min(x, m) / clamp_max(x, m): one bound, given positionally. */
export function oneSidedClamp(side: 'min' | 'max'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', side]);
    const v = literal(args[side], side);
    if (typeof v !== 'number') throw new Unsupported(`clamp_${side} with ${JSON.stringify(v)} (only a number is supported)`);
    return side === 'min' ? clampTo(node, ctx, v, null) : clampTo(node, ctx, null, v);
  };
}

/**
 * An operand of a batched matrix product: Keras must hold its leading (batch) axes first, in
 * PyTorch's order, and its two matrix axes last, in either order (then the product reads it
 * transposed). Anything else is permuted to PyTorch's own order first.
 */
function matmulOperand(node: OpNode, ctx: BuildContext, value: KValue): { value: KValue; transposed: boolean } {
  const x = ctx.plain(value, node);
  const rank = x.torchShape.length;
  const perm = x.layout.perm;
  const batch = identityPerm(rank - 2);
  if (samePerm(perm.slice(0, rank - 2), batch)) {
    if (perm[rank - 2] === rank - 2) return { value: x, transposed: false };
    return { value: x, transposed: true };
  }
  return { value: ctx.relayout(x, identityPerm(rank), node, 'matmul needs the batch axes first and the matrix axes last'), transposed: false };
}

/** matmul / bmm / @ of two computed tensors of one rank (>= 3) and equal batch axes. */
export const matmul: Converter = (node, ctx) => {
  const [a, b] = node.node.args;
  if (!isValueArg(a) || !isValueArg(b)) throw new Unsupported('matmul with a constant operand (a weight: use nn.Linear, or a folded constant)');
  const [x, y] = [input(node, ctx, a), input(node, ctx, b)];
  const out = outputShape(node, ctx);
  const rank = x.torchShape.length;
  if (y.torchShape.length !== rank || rank < 3) throw new Unsupported(`matmul of ranks ${rank} and ${y.torchShape.length} (two operands of one rank >= 3 are supported)`);
  if (!x.torchShape.slice(0, rank - 2).every((d, i) => d === y.torchShape[i])) throw new Unsupported(`matmul broadcasting batch axes [${x.torchShape.join(', ')}] @ [${y.torchShape.join(', ')}]`);
  const left = matmulOperand(node, ctx, x);
  const right = matmulOperand(node, ctx, y);
  const layer = new BatchMatMul({ transposeA: left.transposed, transposeB: right.transposed, name: nameFor(node, ctx) });
  return [ctx.apply(layer, [left.value, right.value], out, { perm: identityPerm(rank) })];
};

export function checkMatmul(node: OpNode): string | undefined {
  const [a, b] = node.node.args;
  if (!isValueArg(a) || !isValueArg(b)) return 'matmul with a constant operand (a weight: use nn.Linear)';
  return undefined;
}

const CLAMP = op(clamp);

export const FAMILY: OpFamily = {
  name: 'Math functions and matrix products',
  layers: [BatchMatMul, Clamp, MathFunction],
  ops: {
    ...spellings(['torch.matmul', 'torch.bmm', 'Tensor.matmul', 'Tensor.bmm', 'Tensor.__matmul__'], op(matmul, checkMatmul)),
    ...spellings(['torch.sqrt', 'Tensor.sqrt'], op(unary('sqrt'))),
    ...spellings(['torch.rsqrt', 'Tensor.rsqrt'], op(unary('rsqrt'))),
    ...spellings(['torch.exp', 'Tensor.exp'], op(unary('exp'))),
    ...spellings(['torch.log', 'Tensor.log'], op(unary('log'))),
    ...spellings(['torch.erf', 'Tensor.erf', 'torch.special.erf'], op(unary('erf'))),
    ...spellings(['torch.abs', 'Tensor.abs', 'Tensor.__abs__'], op(unary('abs'))),
    ...spellings(['torch.pow', 'Tensor.pow', 'Tensor.__pow__'], op(pow, checkPow)),
    ...spellings(['torch.clamp', 'torch.clip', 'Tensor.clamp', 'Tensor.clip', 'Tensor.clamp_'], CLAMP),
    ...spellings(['torch.clamp_min', 'Tensor.clamp_min'], op(oneSidedClamp('min'))),
    ...spellings(['torch.clamp_max', 'Tensor.clamp_max'], op(oneSidedClamp('max'))),
  },
};
