// Elementwise math (sqrt, rsqrt, exp, log, erf, abs, pow with a constant exponent, clamp with
// constant bounds), running sums, products and extremes (cumsum, cumprod, cummax, cummin) and the matrix product of two computed tensors
// (matmul / bmm / @).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { BatchMatMul, Clamp, KerasLayerConfigError, MathFunction, type MathFunctionName } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import type { LowerableLayer } from '../family.ts';
import { identityPerm, kerasAxis, samePerm } from '../layout.ts';
import { Unsupported, isValueArg, literal, num, valueId, type OpNode } from '../op_node.ts';
import { firstInput, input, nameFor, outputShape, type Converter } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';
import { binaryOp } from './pointwise.ts';
import { dropLift, liftBatch } from '../batch_axis.ts';
import { clampByTensors } from './composite.ts';
import { outputUsed } from './ranking.ts';

/** An elementwise function keeps its input's layout (a flattened channels-last vector included). */
export function unary(fn: Exclude<MathFunctionName, 'pow'>): Converter {
  return (node, ctx) => {
    const x = firstInput(node, ctx);
    return [ctx.apply(new MathFunction({ fn, name: nameFor(node, ctx) }), x, x.torchShape, x.layout)];
  };
}

/** pow(x, p) / x ** p: a number p (0.5 is sqrt, 1 nothing), else a tensor exponent or a number base. */
export const pow: Converter = (node, ctx) => {
  const args = node.bind(['input', 'exponent']);
  if (isValueArg(args['exponent']) || !isValueArg(args['input'])) return [binaryOp('pow', args['input'], args['exponent'], node, ctx)];
  const exponent = literal(args['exponent'], 'exponent');
  if (typeof exponent !== 'number') throw new Unsupported(`pow exponent ${JSON.stringify(exponent)} (a number or a computed tensor is supported)`);
  const x = firstInput(node, ctx);
  if (exponent === 1) return [x];
  const layer = exponent === 0.5 ? new MathFunction({ fn: 'sqrt', name: nameFor(node, ctx) }) : new MathFunction({ fn: 'pow', exponent, name: nameFor(node, ctx) });
  return [ctx.apply(layer, x, x.torchShape, x.layout)];
};

/** clamp / clip with number bounds: ReLU / ReLU6 when they are (0, none) / (0, 6), else Clamp. */
export const clamp: Converter = (node, ctx) => {
  const args = node.bind(['input', 'min=', 'max=']);
  if (isValueArg(args['min']) || isValueArg(args['max'])) return clampByTensors(node, ctx);
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
    min === 0 && max === null ? tf.layers.activation({ activation: 'relu', name }) : min === 0 && max === 6 ? tf.layers.activation({ activation: 'relu6', name }) : new Clamp({ min, max, name });
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

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** A running sum along one non-batch axis (PyTorch's cumsum), written as TFLite's CUMSUM. */
export class Cumsum extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'Cumsum';
  readonly axis: number;

  constructor(args: LayerArgs & { axis: number }) {
    super(args);
    if (!Number.isInteger(args.axis) || args.axis < 1) throw new KerasLayerConfigError(`Cumsum axis must be an integer >= 1 (axis 0 is the batch), got ${JSON.stringify(args.axis)}`);
    this.axis = args.axis;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.cumsum(Array.isArray(inputs) ? inputs[0]! : inputs, this.axis));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    return ctx.op('CUMSUM', [x, ctx.int32('axis', [this.axis], [])], { shape: x.shape }, { exclusive: false, reverse: false });
  }
}

export type ScanOp = 'prod' | 'max' | 'min';
const SCAN_OPS: readonly ScanOp[] = ['prod', 'max', 'min'];
const FLOAT32_MAX = 3.4028234663852886e38;
/** What a scan shifts in: the identity of its operation (the float32 extremes stand for -inf / +inf, as in max pooling). */
const SCAN_FILL: Readonly<Record<ScanOp, number>> = { prod: 1, max: -FLOAT32_MAX, min: FLOAT32_MAX };

/**
 * A running product, maximum or minimum along one non-batch axis (PyTorch's cumprod, cummax(...).values,
 * cummin(...).values). TFLite has no CUMPROD / CUMMAX: it is a log-depth scan, ceil(log2(n)) steps of
 * y = y (op) (y shifted by s along the axis, the identity shifted in), s = 1, 2, 4, ... (SLICE, PADV2, then
 * MUL / MAXIMUM / MINIMUM). A full-int8 model keeps the scan float32, as it keeps CUMSUM: a product of int8
 * factors compounds their rounding (cosine 0.988 on 9 factors of N(0, 1)), and the shifted-in identity
 * lies outside the calibrated range of the values.
 */
export class Scan extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'Scan';
  readonly axis: number;
  readonly op: ScanOp;

  constructor(args: LayerArgs & { axis: number; op: ScanOp }) {
    super(args);
    if (!Number.isInteger(args.axis) || args.axis < 1) throw new KerasLayerConfigError(`Scan axis must be an integer >= 1 (axis 0 is the batch), got ${JSON.stringify(args.axis)}`);
    if (!SCAN_OPS.includes(args.op)) throw new KerasLayerConfigError(`Scan op must be one of ${SCAN_OPS.join(', ')}, got ${JSON.stringify(args.op)}`);
    this.axis = args.axis;
    this.op = args.op;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (this.op === 'prod') return tf.cumprod(x, this.axis);
      const n = x.shape[this.axis]!;
      let y = x;
      for (let shift = 1; shift < n; shift *= 2) {
        const head = tf.slice(
          y,
          x.shape.map(() => 0),
          x.shape.map((d, i) => (i === this.axis ? n - shift : -1)),
        );
        const shifted = tf.pad(
          head,
          x.shape.map((_, i): [number, number] => (i === this.axis ? [shift, 0] : [0, 0])),
          SCAN_FILL[this.op],
        );
        y = this.op === 'max' ? tf.maximum(y, shifted) : tf.minimum(y, shifted);
      }
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, op: this.op };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    const n = x.shape[this.axis]!;
    const fill = ctx.constant('fill', Tensor.fromNumbers([], [SCAN_FILL[this.op]]));
    const combine = ({ prod: 'MUL', max: 'MAXIMUM', min: 'MINIMUM' } as const)[this.op];
    let y = x;
    for (let shift = 1; shift < n; shift *= 2) {
      const size = x.shape.map((d, i) => (i === this.axis ? n - shift : d));
      const head = ctx.op(
        'SLICE',
        [
          y,
          ctx.int32(
            `begin_${shift}`,
            x.shape.map(() => 0),
          ),
          ctx.int32(`size_${shift}`, size),
        ],
        { shape: size, suffix: `head_${shift}`, keepFloat: true },
      );
      const paddings = ctx.int32(
        `paddings_${shift}`,
        x.shape.flatMap((_, i) => (i === this.axis ? [shift, 0] : [0, 0])),
        [x.shape.length, 2],
      );
      const shifted = ctx.op('PADV2', [head, paddings, fill], { shape: x.shape, suffix: `shifted_${shift}`, keepFloat: true });
      y = ctx.op(combine, [y, shifted], { shape: x.shape, suffix: `${this.op}_${shift}`, keepFloat: true });
    }
    return y;
  }
}

const CUMSUM_SIGNATURE = ['input', 'dim', 'dtype='];

/** The PyTorch dim of a cumsum / cumprod, in [0, rank); refuses what float32 cannot reproduce. */
function cumsumDim(node: OpNode, rank: number): number {
  const args = node.bind(CUMSUM_SIGNATURE);
  if (literal(args['dtype'], 'dtype') != null) throw new Unsupported('a dtype argument: the running sum or product is computed in float32; drop dtype= or cast afterwards');
  const dim = num(args['dim'], 'dim');
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) throw new Unsupported(`dim ${dim} is out of range for a rank-${rank} tensor`);
  return dim < 0 ? dim + rank : dim;
}

export function checkCumsum(node: OpNode, shapes: (value: string) => readonly number[] | undefined): string | undefined {
  const shape = shapes(valueId(node.bind(CUMSUM_SIGNATURE)['input'], 'input'));
  if (!shape) return 'its input has no recorded shape';
  cumsumDim(node, shape.length);
  return undefined;
}

/**
 * cumsum / cumprod / cummax / cummin. A flattened channels-last value is put back in PyTorch's feature
 * order first: the scan runs in order. cummax / cummin record (values, indices); only values convert.
 */
const running =
  (op: 'sum' | ScanOp): Converter =>
  (node, ctx) => {
    if (op === 'max' || op === 'min') {
      if (outputUsed(node, ctx, 1)) throw new Unsupported(`the indices of cum${op} (only .values converts)`);
    }
    const input = ctx.plain(firstInput(node, ctx), node);
    const dim = cumsumDim(node, input.torchShape.length);
    // Along dim 0 (across the batch) the scan runs on the input lifted into one sample.
    const x = dim === 0 ? liftBatch(node, ctx, input) : input;
    const axis = kerasAxis(x.layout, dim === 0 ? 1 : dim);
    const name = nameFor(node, ctx);
    const scanned = ctx.apply(op === 'sum' ? new Cumsum({ axis, name }) : new Scan({ axis, op, name }), x, x.torchShape, x.layout);
    const values = dim === 0 ? dropLift(node, ctx, scanned) : scanned;
    return node.node.outputs.length > 1 ? [values, values] : [values];
  };

const CLAMP = op(clamp);

export const FAMILY: OpFamily = {
  name: 'Math functions and matrix products',
  layers: [BatchMatMul, Clamp, Cumsum, MathFunction, Scan],
  ops: {
    ...spellings(['torch.sqrt', 'Tensor.sqrt'], op(unary('sqrt'))),
    ...spellings(['torch.rsqrt', 'Tensor.rsqrt'], op(unary('rsqrt'))),
    ...spellings(['torch.exp', 'Tensor.exp'], op(unary('exp'))),
    ...spellings(['torch.log', 'Tensor.log'], op(unary('log'))),
    ...spellings(['torch.erf', 'Tensor.erf', 'torch.special.erf'], op(unary('erf'))),
    ...spellings(['torch.abs', 'Tensor.abs', 'Tensor.__abs__'], op(unary('abs'))),
    ...spellings(['torch.trunc', 'Tensor.trunc', 'torch.fix', 'Tensor.fix'], op(unary('trunc'))),
    ...spellings(['torch.pow', 'Tensor.pow', 'Tensor.__pow__'], op(pow)),
    ...spellings(['torch.clamp', 'torch.clip', 'Tensor.clamp', 'Tensor.clip', 'Tensor.clamp_'], CLAMP),
    ...spellings(['torch.clamp_min', 'Tensor.clamp_min'], op(oneSidedClamp('min'))),
    ...spellings(['torch.clamp_max', 'Tensor.clamp_max'], op(oneSidedClamp('max'))),
    ...spellings(['torch.cumsum', 'Tensor.cumsum'], op(running('sum'), checkCumsum)),
    ...spellings(['torch.cumprod', 'Tensor.cumprod'], op(running('prod'), checkCumsum)),
    ...spellings(['torch.cummax', 'Tensor.cummax'], op(running('max'), checkCumsum)),
    ...spellings(['torch.cummin', 'Tensor.cummin'], op(running('min'), checkCumsum)),
  },
};
