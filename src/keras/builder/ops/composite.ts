// Elementwise ops that are a few existing layers in a row: glu (halves, sigmoid, product), softmin
// (softmax of -x), logical and / or / not / xor of bool tensors (as 1 / 0 numbers), addcmul, addcdiv, lerp
// with a number weight, hypot, xlogy, clamp with tensor bounds (maximum, minimum), and nan_to_num
// (comparisons and selects).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Compare, ConstantArithmetic, Gather, MathFunction, Select, Subtract } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { kerasAxis } from '../layout.ts';
import { Unsupported, isValueArg, num, type OpNode } from '../op_node.ts';
import { input, nameFor, outputShape, type Converter } from './common.ts';
import { castValue } from './casts.ts';
import { mergeValues } from './elementwise.ts';
import { PointwiseBinary } from './pointwise.ts';
import { softmaxOf } from './reduce.ts';
import { op, spellings, type OpFamily } from '../family.ts';

type Merge = (args: { name: string }) => tf.layers.Layer;
const ADD: Merge = (args) => tf.layers.add(args);
const MULTIPLY: Merge = (args) => tf.layers.multiply(args);
const MAXIMUM: Merge = (args) => tf.layers.maximum(args);
const MINIMUM: Merge = (args) => tf.layers.minimum(args);

/** The value of a tensor argument, which must be computed from the inputs. */
function computed(node: OpNode, ctx: BuildContext, arg: Parameters<typeof input>[2], what: string): KValue {
  if (!isValueArg(arg)) throw new Unsupported(`its ${what} is not computed from the inputs (only computed tensors are supported here)`);
  return input(node, ctx, arg, what);
}

const scaled = (node: OpNode, ctx: BuildContext, x: KValue, factor: number, suffix: string): KValue =>
  factor === 1 ? x : ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: factor, name: nameFor(node, ctx, suffix) }), x, x.torchShape, x.layout);

const merged = (node: OpNode, ctx: BuildContext, merge: Merge, a: KValue, b: KValue, suffix: string, out?: readonly number[]): KValue =>
  mergeValues(node, ctx, (args) => merge({ ...args, name: nameFor(node, ctx, suffix) }), a, b, out ?? a.torchShape);

/** F.glu / nn.GLU: the first half along dim times the sigmoid of the second. */
const glu: Converter = (node, ctx) => {
  const dimArg = node.node.module !== undefined ? node.attrs['dim'] : num(node.bind(['input', 'dim='])['dim'], 'dim', -1);
  if (typeof dimArg !== 'number') throw new Unsupported('glu without a numeric dim');
  const x = ctx.plain(input(node, ctx, node.node.args[0]), node);
  const rank = x.torchShape.length;
  const dim = dimArg < 0 ? dimArg + rank : dimArg;
  if (dim === 0) throw new Unsupported('glu along dim 0 splits the batch (split a non-batch axis)');
  const size = x.torchShape[dim]!;
  if (size % 2 !== 0) throw new Unsupported(`glu of an odd size ${size} along dim ${dimArg}`);
  const half = x.torchShape.map((d, i) => (i === dim ? size / 2 : d));
  const part = (from: number, suffix: string): KValue =>
    ctx.apply(new Gather({ axis: kerasAxis(x.layout, dim), indices: Array.from({ length: size / 2 }, (_, i) => from + i), name: nameFor(node, ctx, suffix) }), x, half, x.layout);
  const gate = ctx.apply(tf.layers.activation({ activation: 'sigmoid', name: nameFor(node, ctx, '__gate') }), part(size / 2, '__second'), half, x.layout);
  return [merged(node, ctx, MULTIPLY, part(0, '__first'), gate, '')];
};

/** F.softmin(x, dim) = softmax(-x, dim). */
const softmin: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim=', '_stacklevel=', 'dtype=']);
  const x = computed(node, ctx, args['input'], 'input');
  return [softmaxOf(node, ctx, scaled(node, ctx, x, -1, '__negated'), num(args['dim'], 'dim'))];
};

/** Bool tensors as 1 / 0 numbers, combined, and compared with 0 again. */
function logical(kind: 'and' | 'or' | 'xor'): Converter {
  return (node, ctx) => {
    const [a, b] = node.node.args;
    const [x, y] = [computed(node, ctx, a, 'first operand'), computed(node, ctx, b, 'second operand')];
    const number = (v: KValue) => castValue(node, ctx, castValue(node, ctx, v, 'float', 'bool'), 'bool', 'float');
    // and: a * b; or: max(a, b); xor: a - b is non-zero.
    const merge = kind === 'and' ? MULTIPLY : kind === 'or' ? MAXIMUM : (args: { name: string }) => new Subtract(args);
    const combined = merged(node, ctx, merge, number(x), number(y), '__combined', outputShape(node, ctx));
    return [castValue(node, ctx, combined, 'float', 'bool')];
  };
}

/** ~x / logical_not of a bool tensor: 1 - x compared with 0. */
const logicalNot: Converter = (node, ctx) => {
  const x = computed(node, ctx, node.node.args[0], 'input');
  const number = castValue(node, ctx, castValue(node, ctx, x, 'float', 'bool'), 'bool', 'float');
  const flipped = ctx.apply(new ConstantArithmetic({ op: 'sub', scalar: 1, reversed: true, name: nameFor(node, ctx, '__flipped') }), number, number.torchShape, number.layout);
  return [castValue(node, ctx, flipped, 'float', 'bool')];
};

/** torch.addcmul(x, t1, t2, value=v) = x + v * t1 * t2. */
const addcmul: Converter = (node, ctx) => {
  const args = node.bind(['input', 'tensor1', 'tensor2', 'value=']);
  const [x, t1, t2] = [computed(node, ctx, args['input'], 'input'), computed(node, ctx, args['tensor1'], 'tensor1'), computed(node, ctx, args['tensor2'], 'tensor2')];
  const out = outputShape(node, ctx);
  const term = scaled(node, ctx, merged(node, ctx, MULTIPLY, t1, t2, '__product', out), num(args['value'], 'value', 1), '__scaled');
  return [merged(node, ctx, ADD, x, term, '', out)];
};

/** torch.addcdiv(x, t1, t2, value=v) = x + v * t1 / t2 (PyTorch's order: the scaled t1 is divided). */
const addcdiv: Converter = (node, ctx) => {
  const args = node.bind(['input', 'tensor1', 'tensor2', 'value=']);
  const [x, t1, t2] = [computed(node, ctx, args['input'], 'input'), computed(node, ctx, args['tensor1'], 'tensor1'), computed(node, ctx, args['tensor2'], 'tensor2')];
  const out = outputShape(node, ctx);
  const numerator = scaled(node, ctx, t1, num(args['value'], 'value', 1), '__scaled');
  const quotient = mergeValues(node, ctx, (a) => new PointwiseBinary({ fn: 'div', ...a, name: nameFor(node, ctx, '__quotient') }), numerator, t2, out);
  return [merged(node, ctx, ADD, x, quotient, '', out)];
};

/** torch.lerp(x, y, w) with a number w = x + w * (y - x). */
const lerp: Converter = (node, ctx) => {
  const args = node.bind(['input', 'end', 'weight']);
  if (isValueArg(args['weight'])) throw new Unsupported('lerp with a tensor weight (a number weight is supported; write x + w * (y - x))');
  const [x, y] = [computed(node, ctx, args['input'], 'input'), computed(node, ctx, args['end'], 'end')];
  const out = outputShape(node, ctx);
  const gap = merged(node, ctx, ADD, y, scaled(node, ctx, x, -1, '__negated'), '__gap', out);
  return [merged(node, ctx, ADD, x, scaled(node, ctx, gap, num(args['weight'], 'weight'), '__step'), '', out)];
};

/** torch.hypot(x, y) = sqrt(x * x + y * y). */
const hypot: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other']);
  const [x, y] = [computed(node, ctx, args['input'], 'input'), computed(node, ctx, args['other'], 'other')];
  const square = (v: KValue, suffix: string) => ctx.apply(new MathFunction({ fn: 'pow', exponent: 2, name: nameFor(node, ctx, suffix) }), v, v.torchShape, v.layout);
  const sum = merged(node, ctx, ADD, square(x, '__x2'), square(y, '__y2'), '__sum', outputShape(node, ctx));
  return [ctx.apply(new MathFunction({ fn: 'sqrt', name: nameFor(node, ctx) }), sum, sum.torchShape, sum.layout)];
};

/** torch.xlogy(x, y) = x * log(y) (PyTorch's 0 where x == 0 holds for y > 0). */
const xlogy: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other']);
  const [x, y] = [computed(node, ctx, args['input'], 'input'), computed(node, ctx, args['other'], 'other')];
  const logY = ctx.apply(new MathFunction({ fn: 'log', name: nameFor(node, ctx, '__log') }), y, y.torchShape, y.layout);
  return [merged(node, ctx, MULTIPLY, x, logY, '', outputShape(node, ctx))];
};

/** clamp(x, min=t, max=u) with tensor bounds: minimum(maximum(x, t), u). */
export const clampByTensors: Converter = (node, ctx) => {
  const args = node.bind(['input', 'min=', 'max=']);
  let x = computed(node, ctx, args['input'], 'input');
  const out = outputShape(node, ctx);
  if (args['min'] !== undefined && !('const' in args['min'] && args['min'].const === null)) x = merged(node, ctx, MAXIMUM, x, computed(node, ctx, args['min'], 'min'), '__min', out);
  if (args['max'] !== undefined && !('const' in args['max'] && args['max'].const === null)) x = merged(node, ctx, MINIMUM, x, computed(node, ctx, args['max'], 'max'), '__max', out);
  return [x];
};

/** The largest finite float32 (torch.nan_to_num's default for +inf, negated for -inf). */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * torch.nan_to_num(x, nan=0, posinf=None, neginf=None): where |x| >= 0 fails (NaN) `nan`, where
 * x > FLOAT32_MAX (+inf) `posinf`, where x < -FLOAT32_MAX (-inf) `neginf`; comparisons and selects,
 * each comparison reading x once (a layer fed one tensor twice loses it to tfjs's disposal).
 */
const nanToNum: Converter = (node, ctx) => {
  const args = node.bind(['input', 'nan=', 'posinf=', 'neginf=', 'out=']);
  const x = computed(node, ctx, args['input'], 'input');
  const [nan, posinf, neginf] = [num(args['nan'], 'nan', 0), num(args['posinf'], 'posinf', FLOAT32_MAX), num(args['neginf'], 'neginf', -FLOAT32_MAX)];
  if (![nan, posinf, neginf].every(Number.isFinite)) throw new Unsupported('nan_to_num with a replacement that is not a finite number');
  const test = (of: KValue, op: 'greaterEqual' | 'greater' | 'less', scalar: number, suffix: string): KValue =>
    ctx.apply(new Compare({ op, scalar, name: nameFor(node, ctx, suffix) }), of, of.torchShape, of.layout);
  const select = (condition: KValue, value: KValue, fill: number, keep: boolean, suffix: string): KValue =>
    ctx.apply(new Select({ condition: null, whenTrue: keep ? null : fill, whenFalse: keep ? fill : null, name: nameFor(node, ctx, suffix) }), [condition, value], x.torchShape, x.layout);
  const magnitude = ctx.apply(new MathFunction({ fn: 'abs', name: nameFor(node, ctx, '__abs') }), x, x.torchShape, x.layout);
  const noNan = select(test(magnitude, 'greaterEqual', 0, '__ordered'), x, nan, true, '__nan');
  const noPosinf = select(test(x, 'greater', FLOAT32_MAX, '__is_posinf'), noNan, posinf, false, '__posinf');
  return [select(test(x, 'less', -FLOAT32_MAX, '__is_neginf'), noPosinf, neginf, false, '')];
};

export const FAMILY: OpFamily = {
  name: 'Composite elementwise ops',
  layers: [],
  ops: {
    ...spellings(['F.glu', 'GLU'], op(glu)),
    'F.softmin': op(softmin),
    ...spellings(['Tensor.__and__', 'torch.logical_and', 'Tensor.logical_and', 'torch.bitwise_and', 'Tensor.bitwise_and'], op(logical('and'))),
    ...spellings(['Tensor.__or__', 'torch.logical_or', 'Tensor.logical_or', 'torch.bitwise_or', 'Tensor.bitwise_or'], op(logical('or'))),
    ...spellings(['Tensor.__xor__', 'torch.logical_xor', 'Tensor.logical_xor'], op(logical('xor'))),
    ...spellings(['Tensor.__invert__', 'torch.logical_not', 'Tensor.logical_not', 'torch.bitwise_not', 'Tensor.bitwise_not'], op(logicalNot)),
    ...spellings(['torch.addcmul', 'Tensor.addcmul'], op(addcmul)),
    ...spellings(['torch.addcdiv', 'Tensor.addcdiv'], op(addcdiv)),
    ...spellings(['torch.lerp', 'Tensor.lerp'], op(lerp)),
    ...spellings(['torch.hypot', 'Tensor.hypot'], op(hypot)),
    ...spellings(['torch.nan_to_num', 'Tensor.nan_to_num'], op(nanToNum)),
    ...spellings(['torch.xlogy', 'Tensor.xlogy', 'torch.special.xlogy'], op(xlogy)),
  },
};
