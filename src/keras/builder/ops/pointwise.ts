// Pointwise functions tfjs-layers has no layer for, each written into TFLite as builtins XNNPACK
// and the reference kernels run: trigonometry (inverse functions through ATAN2), rounding, reciprocal, sign, softplus / mish,
// log1p / log2 / log10 / expm1, and the binary ops of two computed tensors or of a tensor and a
// number: true / floor / truncating division, remainder (Python's sign rule) and fmod (C's), pow
// with a tensor exponent or a number base, maximum / minimum.
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import { ConstantArithmetic, KerasLayerConfigError } from '../../layers/index.ts';
import { mathFunction } from '../../../tflite/lower/layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import type { LowerableLayer } from '../family.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { firstInput, input, nameFor, outputShape, type Converter } from './common.ts';
import { constantValue } from './constants.ts';
import { binary as arithmetic, mergeValues } from './elementwise.ts';
import { op, spellings, type OpFamily } from '../family.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);
const scalar = (ctx: LoweringContext, suffix: string, value: number): IrTensor => ctx.constant(suffix, Tensor.fromNumbers([], [value]));

/** Toward zero: CAST float32 -> int32 truncates (a C++ static_cast in the kernel), then back. */
function trunc(ctx: LoweringContext, v: IrTensor): IrTensor {
  const ids = ctx.op('CAST', [v], { shape: v.shape, dtype: 'int32', suffix: 'int32' }, { inDataType: 'float32', outDataType: 'int32' });
  return ctx.op('CAST', [ids], { shape: v.shape, suffix: 'trunc' }, { inDataType: 'int32', outDataType: 'float32' });
}

// PyTorch's softplus returns x itself where beta * x exceeds the threshold (20 by default).
function softplusTf(x: tf.Tensor, beta: number, threshold: number): tf.Tensor {
  const y = tf.mul(x, beta);
  return tf.div(tf.maximum(y, tf.log1p(tf.exp(tf.minimum(y, threshold)))), beta);
}

/** Numbers some functions take: softplus (beta, threshold), ELU / CELU (alpha), shrinks (alpha is lambda), threshold (threshold, value). */
interface Params {
  readonly beta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly value: number;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale * (max(0, x) + alpha * (exp(min(0, x) * inner) - 1)): ELU, CELU (inner 1 / alpha) and SELU. */
function eluTf(x: tf.Tensor, alpha: number, inner: number, scale: number): tf.Tensor {
  const negative = tf.mul(alpha, tf.sub(tf.exp(tf.mul(tf.minimum(x, 0), inner)), 1));
  return tf.mul(tf.add(tf.relu(x), negative), scale);
}

const UNARY: Readonly<Record<string, (x: tf.Tensor, p: Params) => tf.Tensor>> = {
  sin: tf.sin,
  cos: tf.cos,
  tan: (x) => tf.div(tf.sin(x), tf.cos(x)),
  asin: tf.asin,
  acos: tf.acos,
  atan: tf.atan,
  sinh: tf.sinh,
  cosh: tf.cosh,
  floor: tf.floor,
  ceil: tf.ceil,
  round: tf.round,
  reciprocal: (x) => tf.div(1, x),
  sign: tf.sign,
  square: (x) => tf.mul(x, x),
  log1p: tf.log1p,
  log2: (x) => tf.div(tf.log(x), Math.LN2),
  log10: (x) => tf.div(tf.log(x), Math.LN10),
  expm1: tf.expm1,
  exp2: (x) => tf.pow(tf.scalar(2), x),
  frac: (x) => tf.sub(x, tf.cast(tf.cast(x, 'int32'), 'float32')),
  softplus: (x, p) => softplusTf(x, p.beta, p.threshold),
  mish: (x) => tf.mul(x, tf.tanh(softplusTf(x, 1, 20))),
  erfc: (x) => tf.sub(1, tf.erf(x)),
  elu: (x, p) => eluTf(x, p.alpha, 1, 1),
  celu: (x, p) => eluTf(x, p.alpha, 1 / p.alpha, 1),
  selu: (x) => eluTf(x, SELU_ALPHA, 1, SELU_SCALE),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  tanhshrink: (x) => tf.sub(x, tf.tanh(x)),
  hardshrink: (x, p) => tf.mul(x, tf.cast(tf.greater(tf.abs(x), p.alpha), 'float32')),
  softshrink: (x, p) => tf.sub(x, tf.clipByValue(x, -p.alpha, p.alpha)),
  threshold: (x, p) => {
    const keep = tf.cast(tf.greater(x, p.threshold), 'float32');
    return tf.add(tf.mul(x, keep), tf.mul(p.value, tf.sub(1, keep)));
  },
};
export type UnaryName = keyof typeof UNARY;

/** One pointwise function of one tensor; beta / threshold belong to softplus. */
export class Pointwise extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'Pointwise';
  readonly fn: string;
  readonly params: Params;

  constructor(args: LayerArgs & { fn: string } & Partial<Params>) {
    super(args);
    if (!(args.fn in UNARY)) throw new KerasLayerConfigError(`Pointwise fn must be one of ${Object.keys(UNARY).join(', ')}, got ${JSON.stringify(args.fn)}`);
    this.fn = args.fn;
    this.params = { beta: args.beta ?? 1, threshold: args.threshold ?? 20, alpha: args.alpha ?? 1, value: args.value ?? 0 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => UNARY[this.fn]!(single(inputs), this.params));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.fn, ...this.params };
  }

  lower(ctx: LoweringContext): IrTensor {
    return lowerUnary(ctx, this.fn, ctx.inputs[0]!, this.params);
  }
}

function lowerUnary(ctx: LoweringContext, fn: string, x: IrTensor, params: Params): IrTensor {
  const { beta, threshold, alpha } = params;
  const same = (suffix: string) => ({ shape: x.shape, suffix });
  const c = (suffix: string, v: number) => scalar(ctx, suffix, v);
  const out = { shape: x.shape };
  const elu = (a: number, inner: number, scale: number): IrTensor => {
    const low = ctx.op('MINIMUM', [x, c('zero', 0)], same('negative_part'));
    const e = ctx.op('EXP', [inner === 1 ? low : ctx.op('MUL', [low, c('inner', inner)], same('inner_scaled'))], same('exp'));
    const negative = ctx.op('MUL', [ctx.op('SUB', [e, c('one', 1)], same('expm1')), c('alpha', a)], same('negative'));
    const sum = ctx.op('ADD', [ctx.op('RELU', [x], same('positive')), negative], scale === 1 ? out : same('sum'));
    return scale === 1 ? sum : ctx.op('MUL', [sum, c('scale', scale)], out);
  };
  const greater = (v: IrTensor, bound: number): IrTensor =>
    ctx.op('CAST', [ctx.op('GREATER', [v, c('bound', bound)], { ...same('above'), dtype: 'bool' })], same('mask'), { inDataType: 'bool', outDataType: 'float32' });
  const softplus = (): IrTensor => {
    const y = beta === 1 ? x : ctx.op('MUL', [x, c('beta', beta)], same('beta_x'));
    const e = ctx.op('EXP', [ctx.op('MINIMUM', [y, c('threshold', threshold)], same('clipped'))], same('exp'));
    const sp = ctx.op('MAXIMUM', [y, ctx.op('LOG', [ctx.op('ADD', [e, c('one', 1)], same('one_plus'))], same('log'))], same('softplus'));
    return beta === 1 ? sp : ctx.op('DIV', [sp, c('beta_div', beta)], same('softplus_beta'));
  };
  const exp = (v: IrTensor, suffix: string) => ctx.op('EXP', [v], same(suffix));
  switch (fn) {
    case 'sin':
      return ctx.op('SIN', [x], { shape: x.shape });
    case 'cos':
      return ctx.op('COS', [x], { shape: x.shape });
    case 'tan':
      return ctx.op('DIV', [ctx.op('SIN', [x], same('sin')), ctx.op('COS', [x], same('cos'))], { shape: x.shape });
    // TFLite has no ASIN, ACOS or ATAN; ATAN2 computes them to float32 rounding: atan(x) = atan2(x, 1),
    // asin(x) = atan2(x, sqrt((1 - x)(1 + x))), acos(x) = atan2(sqrt((1 - x)(1 + x)), x). (1 - x)(1 + x)
    // is 1 - x^2 without its cancellation near |x| = 1; outside [-1, 1] its root is NaN, as PyTorch's answer.
    // ATAN2 does not broadcast: the 1 of atan is broadcast to x's shape first. A full-int8 model keeps
    // 1 - x^2 float32 (SQRT and ATAN2 are float anyway): near |x| = 1 its int8 steps would be most of it.
    case 'atan':
      return ctx.op('ATAN2', [x, ctx.op('BROADCAST_TO', [c('one', 1), ctx.int32('shape', x.shape)], same('ones'))], out);
    case 'asin':
    case 'acos': {
      const float = (suffix: string) => ({ ...same(suffix), keepFloat: true });
      const oneMinus = ctx.op('SUB', [c('one', 1), x], float('one_minus'));
      const onePlus = ctx.op('ADD', [x, c('one_plus_c', 1)], float('one_plus'));
      const cosine = ctx.op('SQRT', [ctx.op('MUL', [oneMinus, onePlus], float('one_minus_square'))], same('cosine'));
      return ctx.op('ATAN2', fn === 'asin' ? [x, cosine] : [cosine, x], out);
    }
    case 'sinh':
    case 'cosh': {
      const pos = exp(x, 'exp');
      const neg = exp(ctx.op('NEG', [x], same('neg')), 'exp_neg');
      return ctx.op('MUL', [ctx.op(fn === 'sinh' ? 'SUB' : 'ADD', [pos, neg], same('sum')), c('half', 0.5)], { shape: x.shape });
    }
    case 'floor':
      return ctx.op('FLOOR', [x], { shape: x.shape });
    case 'ceil':
      return ctx.op('CEIL', [x], { shape: x.shape });
    case 'round':
      // TFLite's ROUND rounds halves to even, as PyTorch does.
      return ctx.op('ROUND', [x], { shape: x.shape });
    case 'reciprocal':
      return ctx.op('DIV', [c('one', 1), x], { shape: x.shape });
    case 'sign': {
      const positive = ctx.op('CAST', [ctx.op('GREATER', [x, c('zero', 0)], { ...same('gt'), dtype: 'bool' })], same('pos'), { inDataType: 'bool', outDataType: 'float32' });
      const negative = ctx.op('CAST', [ctx.op('LESS', [x, c('zero_lt', 0)], { ...same('lt'), dtype: 'bool' })], same('neg'), { inDataType: 'bool', outDataType: 'float32' });
      return ctx.op('SUB', [positive, negative], { shape: x.shape });
    }
    case 'square':
      return ctx.op('MUL', [x, x], { shape: x.shape });
    case 'log1p':
      return ctx.op('LOG', [ctx.op('ADD', [x, c('one', 1)], same('one_plus'))], { shape: x.shape });
    case 'log2':
    case 'log10':
      return ctx.op('MUL', [ctx.op('LOG', [x], same('ln')), c('scale', fn === 'log2' ? 1 / Math.LN2 : 1 / Math.LN10)], { shape: x.shape });
    case 'expm1':
      return ctx.op('SUB', [exp(x, 'exp'), c('one', 1)], { shape: x.shape });
    case 'exp2':
      return ctx.op('EXP', [ctx.op('MUL', [x, c('ln2', Math.LN2)], same('scaled'))], { shape: x.shape });
    case 'frac':
      return ctx.op('SUB', [x, trunc(ctx, x)], { shape: x.shape });
    case 'softplus':
      return softplus();
    case 'mish':
      return ctx.op('MUL', [x, ctx.op('TANH', [softplus()], same('tanh'))], { shape: x.shape });
    case 'erfc':
      // x is the layer's input: the shared erf lowering reads it from ctx.
      return ctx.op('SUB', [c('erfc_one', 1), mathFunction(ctx, { fn: 'erf', exponent: null })], out);
    case 'elu':
      return elu(alpha, 1, 1);
    case 'celu':
      return elu(alpha, 1 / alpha, 1);
    case 'selu':
      return elu(SELU_ALPHA, 1, SELU_SCALE);
    case 'softsign':
      return ctx.op('DIV', [x, ctx.op('ADD', [ctx.op('ABS', [x], same('abs')), c('one', 1)], same('denominator'))], out);
    case 'tanhshrink':
      return ctx.op('SUB', [x, ctx.op('TANH', [x], same('tanh'))], out);
    case 'hardshrink':
      return ctx.op('MUL', [x, greater(ctx.op('ABS', [x], same('abs')), alpha)], out);
    case 'softshrink': {
      const clipped = ctx.op('MINIMUM', [ctx.op('MAXIMUM', [x, c('low', -alpha)], same('clip_low')), c('high', alpha)], same('clipped'));
      return ctx.op('SUB', [x, clipped], out);
    }
    case 'threshold': {
      const keep = greater(x, threshold);
      const replaced = ctx.op('MUL', [ctx.op('SUB', [c('one', 1), keep], same('replace_mask')), c('value', params.value)], same('replaced'));
      return ctx.op('ADD', [ctx.op('MUL', [x, keep], same('kept')), replaced], out);
    }
    default:
      return ctx.fail(`Pointwise '${fn}' has no lowering`);
  }
}

const BINARY = ['div', 'pow', 'floor_divide', 'trunc_divide', 'remainder', 'fmod', 'maximum', 'minimum', 'atan2'] as const;
export type BinaryName = (typeof BINARY)[number];

const truncTf = (x: tf.Tensor): tf.Tensor => tf.cast(tf.cast(x, 'int32'), 'float32');
const APPLY_BINARY: Readonly<Record<BinaryName, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>> = {
  div: tf.div,
  pow: tf.pow,
  floor_divide: (a, b) => tf.floor(tf.div(a, b)),
  trunc_divide: (a, b) => truncTf(tf.div(a, b)),
  remainder: (a, b) => tf.sub(a, tf.mul(tf.floor(tf.div(a, b)), b)),
  fmod: (a, b) => tf.sub(a, tf.mul(truncTf(tf.div(a, b)), b)),
  maximum: tf.maximum,
  minimum: tf.minimum,
  atan2: tf.atan2,
};

/** a (op) b of two tensors, or of the input and a number `scalar` (b, or a when `reversed`). */
export class PointwiseBinary extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'PointwiseBinary';
  readonly fn: BinaryName;
  readonly scalar: number | null;
  readonly reversed: boolean;

  constructor(args: LayerArgs & { fn: BinaryName; scalar?: number | null; reversed?: boolean }) {
    super(args);
    if (!(BINARY as readonly string[]).includes(args.fn)) throw new KerasLayerConfigError(`PointwiseBinary fn must be one of ${BINARY.join(', ')}, got ${JSON.stringify(args.fn)}`);
    this.fn = args.fn;
    this.scalar = args.scalar ?? null;
    this.reversed = Boolean(args.reversed);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (!Array.isArray(inputShape[0])) return inputShape as tf.Shape;
    const [a, b] = inputShape as tf.Shape[];
    return a!.map((d, i) => (d === 1 ? b![i]! : d));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [a, b] = this.scalar === null ? [list[0]!, list[1]!] : this.reversed ? [tf.scalar(this.scalar), list[0]!] : [list[0]!, tf.scalar(this.scalar)];
      return APPLY_BINARY[this.fn](a, b);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.fn, scalar: this.scalar, reversed: this.reversed };
  }

  lower(ctx: LoweringContext): IrTensor {
    const shape = ctx.outputShapes[0]!;
    const [x, y] = ctx.inputs;
    const [a, b] = this.scalar === null ? [x!, y!] : this.reversed ? [scalar(ctx, 'constant', this.scalar), x!] : [x!, scalar(ctx, 'constant', this.scalar)];
    const step = (suffix: string) => ({ shape, suffix });
    const quotient = () => ctx.op('DIV', [a, b], step('quotient'));
    switch (this.fn) {
      case 'div':
        return ctx.op('DIV', [a, b], { shape });
      case 'pow':
        return ctx.op('POW', [a, b], { shape });
      case 'maximum':
        return ctx.op('MAXIMUM', [a, b], { shape });
      case 'minimum':
        return ctx.op('MINIMUM', [a, b], { shape });
      case 'atan2': {
        // ATAN2 does not broadcast (a [1, 1, 4] operand beside [2, 3, 4] reads past its data): both are broadcast first.
        const full = (v: IrTensor, suffix: string) =>
          v.shape.length === shape.length && v.shape.every((d, i) => d === shape[i]) ? v : ctx.op('BROADCAST_TO', [v, ctx.int32(`${suffix}_shape`, shape)], step(suffix));
        return ctx.op('ATAN2', [full(a, 'y'), full(b, 'x')], { shape });
      }
      case 'floor_divide':
        return ctx.op('FLOOR', [quotient()], { shape });
      case 'trunc_divide':
        return trunc(ctx, quotient());
      case 'remainder':
        return ctx.op('SUB', [a, ctx.op('MUL', [ctx.op('FLOOR', [quotient()], step('floor')), b], step('multiple'))], { shape });
      case 'fmod':
        return ctx.op('SUB', [a, ctx.op('MUL', [trunc(ctx, quotient()), b], step('multiple'))], { shape });
    }
  }
}

export function unaryOp(fn: UnaryName): Converter {
  return (node, ctx) => {
    const x = firstInput(node, ctx);
    return [ctx.apply(new Pointwise({ fn, name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
  };
}

/** F.softplus(x, beta, threshold). */
const softplus: Converter = (node, ctx) => {
  const args = node.bind(['input', 'beta=', 'threshold=']);
  const beta = num(args['beta'], 'beta', 1);
  const threshold = num(args['threshold'], 'threshold', 20);
  if (beta === 0) throw new Unsupported('softplus with beta=0 (a division by zero)');
  const x = firstInput(node, ctx);
  return [ctx.apply(new Pointwise({ fn: 'softplus', beta, threshold, name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
};

/** A Pointwise layer whose numbers come from the node (module attributes or call arguments). */
function parameterized(fn: UnaryName, params: (node: OpNode) => Partial<Params>): Converter {
  return (node, ctx) => {
    const x = firstInput(node, ctx);
    return [ctx.apply(new Pointwise({ fn, ...params(node), name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
  };
}

const fromArgs = (signature: string[], read: (args: ReturnType<OpNode['bind']>) => Partial<Params>) => (node: OpNode) => read(node.bind(signature));
const positiveAlpha = (alpha: number, what: string): Partial<Params> => {
  if (!(alpha > 0)) throw new Unsupported(`${what} with alpha=${alpha} (a positive alpha is supported)`);
  return { alpha };
};

const CELU = parameterized('celu', (node) => positiveAlpha(node.node.kind === 'module' ? node.attrNumber('alpha') : num(node.bind(['input', 'alpha=', 'inplace='])['alpha'], 'alpha', 1), 'celu'));
const shrink = (fn: 'hardshrink' | 'softshrink') =>
  parameterized(fn, (node) => ({ alpha: node.node.kind === 'module' ? node.attrNumber('lambd') : num(node.bind(['input', 'lambd='])['lambd'], 'lambd', 0.5) }));
const THRESHOLD = parameterized('threshold', (node) =>
  node.node.kind === 'module'
    ? { threshold: node.attrNumber('threshold'), value: node.attrNumber('value') }
    : fromArgs(['input', 'threshold', 'value', 'inplace='], (args) => ({ threshold: num(args['threshold'], 'threshold'), value: num(args['value'], 'value') }))(node),
);
/** log(sigmoid(x)) = -softplus(-x): softplus with beta -1. */
const LOGSIGMOID = parameterized('softplus', () => ({ beta: -1 }));

/** torch.round(x, decimals=d) is round(x * 10^d) / 10^d in PyTorch too. */
const round: Converter = (node, ctx) => {
  const args = node.bind(['input', 'decimals=']);
  const decimals = num(args['decimals'], 'decimals', 0);
  if (!Number.isInteger(decimals)) throw new Unsupported(`round with decimals=${decimals} (an integer is needed)`);
  let x = firstInput(node, ctx);
  const scale = 10 ** decimals;
  const scaled = (v: KValue, op: 'mul' | 'div', suffix: string) => ctx.apply(new ConstantArithmetic({ op, scalar: scale, name: nameFor(node, ctx, suffix) }), v, v.torchShape, v.layout);
  if (decimals !== 0) x = scaled(x, 'mul', '_scale');
  x = ctx.apply(new Pointwise({ fn: 'round', name: nameFor(node, ctx, decimals !== 0 ? '_round' : '') }), x, x.torchShape, x.layout);
  return [decimals !== 0 ? scaled(x, 'div', '') : x];
};

/** a (op) b where either side may be a number; `reflected` for Tensor.__r<op>__ (self is b). */
export function binaryOp(fn: BinaryName, a: Parameters<typeof isValueArg>[0], b: Parameters<typeof isValueArg>[0], node: OpNode, ctx: BuildContext): KValue {
  const out = outputShape(node, ctx);
  const name = nameFor(node, ctx);
  if (isValueArg(a) && isValueArg(b)) {
    const [x, y] = [input(node, ctx, a), input(node, ctx, b)];
    if (a.value === b.value) throw new Unsupported(`${fn} of a tensor with itself`);
    return mergeValues(node, ctx, (args) => new PointwiseBinary({ fn, ...args }), x, y, out);
  }
  const reversed = !isValueArg(a);
  const value = input(node, ctx, reversed ? b : a);
  const other = reversed ? a : b;
  if (isTensorConstant(other)) {
    const x = ctx.plain(value, node);
    const c = constantValue(node, ctx, other, x.torchShape.length, x.layout.perm, x);
    return mergeValues(node, ctx, (args) => new PointwiseBinary({ fn, ...args }), reversed ? c : x, reversed ? x : c, out);
  }
  const constant = literal(reversed ? a : b, 'operand');
  if (typeof constant !== 'number')
    throw new Unsupported(`${fn} with operand ${JSON.stringify(constant)} (a number or a computed tensor is supported; a constant tensor is not: compute it in forward as a number)`);
  return ctx.apply(new PointwiseBinary({ fn, scalar: constant, reversed, name }), value, out, value.layout);
}

function binary(fn: BinaryName, reflected = false): Converter {
  return (node, ctx) => {
    const [first, second] = node.node.args;
    const other = second ?? node.node.kwargs['other'] ?? node.node.kwargs['exponent'];
    return [reflected ? binaryOp(fn, other, first, node, ctx) : binaryOp(fn, first, other, node, ctx)];
  };
}

/** torch.div with rounding_mode 'floor' / 'trunc' / None, and of two computed tensors. */
export const divide: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other', 'rounding_mode=']);
  const mode = literal(args['rounding_mode'], 'rounding_mode');
  const fn: BinaryName = mode === 'floor' ? 'floor_divide' : mode === 'trunc' ? 'trunc_divide' : 'div';
  if (mode !== undefined && mode !== null && fn === 'div') throw new Unsupported(`rounding_mode=${JSON.stringify(mode)} (None, 'floor' and 'trunc' are supported)`);
  // A parameter or folded constant divisor stays one ConstantArithmetic layer, as before.
  if (fn === 'div' && !(isValueArg(args['input']) && isValueArg(args['other']))) return arithmetic('div')(node, ctx);
  return [binaryOp(fn, args['input'], args['other'], node, ctx)];
};

/** torch.rsub(x, other, alpha): other - alpha * x. */
const rsub: Converter = (node, ctx) => {
  const args = node.bind(['input', 'other', 'alpha=']);
  const alpha = num(args['alpha'], 'alpha', 1);
  let x = input(node, ctx, args['input']);
  const out = outputShape(node, ctx);
  if (alpha !== 1) x = ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: alpha, name: nameFor(node, ctx, '_alpha') }), x, x.torchShape, x.layout);
  if (isValueArg(args['other'])) {
    const y = input(node, ctx, args['other']);
    return [mergeValues(node, ctx, (a) => tf.layers.add(a), y, negateLayer(node, ctx, x), out)];
  }
  const c = num(args['other'], 'other');
  return [ctx.apply(new ConstantArithmetic({ op: 'sub', reversed: true, scalar: c, name: nameFor(node, ctx) }), x, out, x.layout)];
};

function negateLayer(node: OpNode, ctx: BuildContext, x: KValue): KValue {
  return ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: -1, name: nameFor(node, ctx, '_neg') }), x, x.torchShape, x.layout);
}

/** torch.maximum / minimum where one operand is a number or a 0-d constant folded into the graph. */
export function extremumOp(fn: 'maximum' | 'minimum'): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'other']);
    return [binaryOp(fn, args['input'], args['other'], node, ctx)];
  };
}

function names(fn: UnaryName, extra: readonly string[] = []): Record<string, ReturnType<typeof op>> {
  return spellings([`torch.${fn}`, `Tensor.${fn}`, ...extra], op(unaryOp(fn)));
}

export const FAMILY: OpFamily = {
  name: 'Pointwise functions',
  layers: [Pointwise, PointwiseBinary],
  ops: {
    ...names('sin'),
    ...names('cos'),
    ...names('tan'),
    ...names('asin', ['torch.arcsin', 'Tensor.arcsin']),
    ...names('acos', ['torch.arccos', 'Tensor.arccos']),
    ...names('atan', ['torch.arctan', 'Tensor.arctan']),
    ...spellings(['torch.atan2', 'Tensor.atan2', 'torch.arctan2', 'Tensor.arctan2'], op(binary('atan2'))),
    ...names('sinh'),
    ...names('cosh'),
    ...names('floor'),
    ...names('ceil'),
    ...spellings(['torch.round', 'Tensor.round'], op(round)),
    ...names('reciprocal'),
    ...names('sign', ['torch.sgn', 'Tensor.sgn']),
    ...names('square'),
    ...names('log1p', ['torch.special.log1p']),
    ...names('log2'),
    ...names('log10'),
    ...names('expm1', ['torch.special.expm1']),
    ...names('exp2', ['torch.special.exp2']),
    ...names('frac'),
    ...spellings(['F.mish', 'Mish'], op(unaryOp('mish'))),
    ...spellings(['torch.special.erfc', 'torch.erfc', 'Tensor.erfc', 'torch._C._special.special_erfc'], op(unaryOp('erfc'))),
    ...spellings(['torch.selu', 'F.selu', 'SELU'], op(unaryOp('selu'))),
    ...spellings(['F.celu', 'torch.celu', 'CELU'], op(CELU)),
    ...spellings(['F.softsign', 'Softsign'], op(unaryOp('softsign'))),
    ...spellings(['F.tanhshrink', 'Tanhshrink'], op(unaryOp('tanhshrink'))),
    ...spellings(['F.hardshrink', 'torch.hardshrink', 'Tensor.hardshrink', 'Hardshrink'], op(shrink('hardshrink'))),
    ...spellings(['F.softshrink', 'Softshrink'], op(shrink('softshrink'))),
    ...spellings(['F.threshold', 'F._threshold', 'torch.threshold', 'Threshold'], op(THRESHOLD)),
    ...spellings(['F.logsigmoid', 'F.log_sigmoid', 'LogSigmoid'], op(LOGSIGMOID)),

    ...spellings(['F.softplus'], op(softplus)),
    ...spellings(['torch.div', 'Tensor.div', 'Tensor.div_', 'Tensor.__truediv__', 'Tensor.__itruediv__', 'torch.true_divide', 'Tensor.true_divide', 'torch.divide'], op(divide)),
    ...spellings(['Tensor.__rtruediv__', 'Tensor.__rdiv__'], op(arithmetic('div', true))),
    ...spellings(['torch.floor_divide', 'Tensor.floor_divide', 'Tensor.__floordiv__'], op(binary('floor_divide'))),
    'Tensor.__rfloordiv__': op(binary('floor_divide', true)),
    ...spellings(['torch.remainder', 'Tensor.remainder', 'Tensor.__mod__'], op(binary('remainder'))),
    'Tensor.__rmod__': op(binary('remainder', true)),
    ...spellings(['torch.fmod', 'Tensor.fmod'], op(binary('fmod'))),
    ...spellings(['torch.rsub'], op(rsub)),
    'Tensor.__rpow__': op(binary('pow', true)),
    ...spellings(['torch.maximum', 'torch.fmax'], op(extremumOp('maximum'))),
    ...spellings(['torch.minimum', 'torch.fmin'], op(extremumOp('minimum'))),
  },
};
