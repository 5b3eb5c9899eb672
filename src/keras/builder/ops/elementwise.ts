// Binary arithmetic. Two computed tensors become a Keras merge layer (Add, Multiply, ...) once
// they share a layout (broadcasting in Keras works like PyTorch's for equal ranks). A Python
// number, a parameter used directly in forward or a folded constant becomes ConstantArithmetic;
// a tensor constant is stored broadcast-aligned to the value's Keras layout.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { ConstantArithmetic, MathFunction, StaticReshape, Subtract, type ArithmeticOp } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { constantSource } from './constants.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { input, nameFor, outputShape, type Converter } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

const MERGE: Readonly<Record<ArithmeticOp, ((args: { name: string }) => tf.layers.Layer) | undefined>> = {
  add: (args) => tf.layers.add(args),
  sub: (args) => new Subtract(args),
  mul: (args) => tf.layers.multiply(args),
  div: undefined,
};

interface Operands {
  readonly a: GraphArg;
  readonly b: GraphArg;
  readonly reversed: boolean;
}

function operands(node: OpNode, reflected: boolean): Operands {
  const [first, second] = node.node.args;
  if (first === undefined || second === undefined) throw new Unsupported('needs two operands');
  const alpha = node.node.kwargs['alpha'];
  if (alpha !== undefined && literal(alpha, 'alpha') !== 1) throw new Unsupported(`alpha=${JSON.stringify(literal(alpha, 'alpha'))}`);
  const extra = Object.keys(node.node.kwargs).filter((key) => key !== 'alpha');
  if (extra.length > 0 || node.node.args.length > 2) throw new Unsupported(`unexpected arguments ${extra.join(', ') || 'beyond two operands'}`);
  // Tensor.__rsub__(self, other) computes other - self.
  return { a: first, b: second, reversed: reflected };
}

export function binary(op: ArithmeticOp, reflected = false): Converter {
  return (node, ctx) => {
    const { a, b, reversed } = operands(node, reflected);
    const out = outputShape(node, ctx);
    if (isValueArg(a) && isValueArg(b)) {
      const merge = MERGE[op];
      if (!merge) throw new Unsupported('division of two computed tensors');
      const [x, y] = [input(node, ctx, a), input(node, ctx, b)];
      // x * x and x + x: tfjs's merge layers dispose an input that they are given twice.
      if (a.value === b.value && op === 'mul') return [ctx.apply(new MathFunction({ fn: 'pow', exponent: 2, name: nameFor(node, ctx) }), x, out, x.layout)];
      if (a.value === b.value && op === 'add') return [ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: 2, name: nameFor(node, ctx) }), x, out, x.layout)];
      const [left, right] = reversed ? [y, x] : [x, y];
      return [mergeValues(node, ctx, merge, left, right, out)];
    }
    const [valueArg, other, swapped] = isValueArg(a) ? [a, b, false] : [b, a, true];
    const x = input(node, ctx, valueArg);
    const constantFirst = swapped !== reversed;
    if (isTensorConstant(other)) return [withTensor(node, ctx, op, x, other, constantFirst, out)];
    const scalar = num(other, 'operand');
    const layer = new ConstantArithmetic({ op, reversed: constantFirst, scalar, name: nameFor(node, ctx) });
    return [ctx.apply(layer, x, out, x.layout)];
  };
}

export function mergeValues(node: OpNode, ctx: BuildContext, merge: (args: { name: string }) => tf.layers.Layer, left: KValue, right: KValue, out: readonly number[]): KValue {
  if (left.torchShape.length !== right.torchShape.length || left.torchShape[0] !== right.torchShape[0]) return liftedMerge(node, ctx, merge, left, right, out);
  const sameFlat = left.layout.source !== undefined && JSON.stringify(left.layout) === JSON.stringify(right.layout);
  if (sameFlat) return ctx.apply(merge({ name: nameFor(node, ctx) }), [left, right], out, left.layout);
  const [l, r] = [ctx.plain(left, node), ctx.plain(right, node)];
  // Keep the layout of the operand that already has the result's shape (not the broadcast one).
  const full = l.torchShape.every((d, i) => d === out[i]) ? l : r;
  const perm = full.layout.perm;
  const aligned = [l, r].map((v) => ctx.relayout(v, perm, node, 'both operands of an elementwise op need one layout'));
  return ctx.apply(merge({ name: nameFor(node, ctx) }), aligned, out, { perm });
}

/**
 * Operands of different ranks or batch sizes ([2, 3, 4] + [4], [2, 3, 4] * [1, 3, 1]): PyTorch
 * broadcasts across the batch axis too, so both are reshaped whole into one sample of the result's
 * rank ([1, 1, 1, 4], [1, 1, 3, 1]: ../batch_axis.ts), merged, and the result reshaped back.
 */
function liftedMerge(node: OpNode, ctx: BuildContext, merge: (args: { name: string }) => tf.layers.Layer, left: KValue, right: KValue, out: readonly number[]): KValue {
  const rank = out.length;
  const lift = (value: KValue, suffix: string): KValue => {
    const plain = ctx.relayout(value, identityPerm(value.torchShape.length), node, 'operands broadcast across the batch axis are read in PyTorch order');
    const shape = [1, ...new Array<number>(rank - value.torchShape.length).fill(1), ...value.torchShape];
    return ctx.apply(new StaticReshape({ shape, name: nameFor(node, ctx, `__${suffix}`) }), plain, shape, { perm: identityPerm(rank + 1) });
  };
  const merged = ctx.apply(merge({ name: nameFor(node, ctx, '__merge') }), [lift(left, 'left'), lift(right, 'right')], [1, ...out], { perm: identityPerm(rank + 1) });
  return ctx.apply(new StaticReshape({ shape: rank === 0 ? [1] : [...out], name: nameFor(node, ctx) }), merged, out, { perm: identityPerm(rank) });
}

function withTensor(node: OpNode, ctx: BuildContext, op: ArithmeticOp, value: KValue, constant: { param: string } | { constant: string }, reversed: boolean, out: readonly number[]): KValue {
  const x = ctx.plain(value, node);
  const { tensor: tensorName, shape } = constantSource(node, ctx, constant);
  const rank = x.torchShape.length;
  if (shape.length > rank || !out.every((d, i) => d === x.torchShape[i])) node.fail(`a constant of shape [${shape.join(', ')}] broadcasts the value [${x.torchShape.join(', ')}] to a larger shape`);
  const aligned = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  if (aligned[0] !== 1) node.fail(`a constant of shape [${shape.join(', ')}] varies along the batch axis`);
  const kerasShape = x.layout.perm.map((axis) => aligned[axis]!);
  const layer = new ConstantArithmetic({ op, reversed, shape: kerasShape, name: nameFor(node, ctx) });
  ctx.fillFrom(layer.name, 'value', tensorName, { kind: 'aligned', rank, axes: x.layout.perm });
  return ctx.apply(layer, x, out, x.layout);
}

/** torch.maximum / minimum of two computed tensors. */
export function extremum(kind: 'maximum' | 'minimum'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'other']);
    const [x, y] = [input(node, ctx, args['input']), input(node, ctx, args['other'])];
    const make = (a: { name: string }) => (kind === 'maximum' ? tf.layers.maximum(a) : tf.layers.minimum(a));
    return [mergeValues(node, ctx, make, x, y, outputShape(node, ctx))];
  };
}

/** -x, as x * -1 (exact in floating point). */
export const negate: Converter = (node, ctx) => {
  const x = input(node, ctx, node.node.args[0]);
  return [ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: -1, name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
};

const arithmetic = (kind: ArithmeticOp, reflected = false) => op(binary(kind, reflected));
const NEGATE = op(negate);

export const FAMILY: OpFamily = {
  name: 'Arithmetic',
  layers: [ConstantArithmetic, MathFunction, Subtract],
  ops: {
    ...spellings(['torch.add', 'Tensor.add', 'Tensor.add_', 'Tensor.__add__', 'Tensor.__iadd__', 'Tensor.__radd__'], arithmetic('add')),
    ...spellings(['torch.sub', 'Tensor.sub', 'Tensor.sub_', 'Tensor.__sub__', 'Tensor.__isub__'], arithmetic('sub')),
    'Tensor.__rsub__': arithmetic('sub', true),
    ...spellings(['torch.mul', 'Tensor.mul', 'Tensor.mul_', 'Tensor.__mul__', 'Tensor.__imul__', 'Tensor.__rmul__'], arithmetic('mul')),
    ...spellings(['Tensor.neg', 'torch.neg', 'Tensor.__neg__'], NEGATE),
  },
};
