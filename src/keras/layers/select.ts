// Comparisons and torch.where for the Keras model. Compare gives a bool tensor (x > 0.5, x == y);
// Select picks elementwise between two operands under a condition: PyTorch's where(cond, a, b)
// and masked_fill(mask, v) (= where(mask, v, x)). tfjs-layers has neither. Lower to TFLite's
// GREATER / GREATER_EQUAL / LESS / LESS_EQUAL / EQUAL / NOT_EQUAL and SELECT_V2.
import { tf } from '../../runtimes/tfjs/index.ts';
import { IDENTITY, type LayerRule } from '../transfer/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { compare, select } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export const COMPARISONS = ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'] as const;
export type Comparison = (typeof COMPARISONS)[number];

const COMPARE: Readonly<Record<Comparison, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>> = {
  greater: tf.greater,
  greaterEqual: tf.greaterEqual,
  less: tf.less,
  lessEqual: tf.lessEqual,
  equal: tf.equal,
  notEqual: tf.notEqual,
};

export interface CompareArgs extends NonNullable<LayerArgs> {
  op: Comparison;
  /** Compare against this number; null: against the second input. */
  scalar?: number | null;
}

const single = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0]! : inputs);
const shapeOf = (inputShape: tf.Shape | tf.Shape[]) => (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;

/** x (op) scalar, or x (op) y for two inputs of one shape; a bool tensor. */
export class Compare extends tf.layers.Layer {
  static readonly className = 'Compare';
  readonly op: Comparison;
  readonly scalar: number | null;

  constructor(args: CompareArgs) {
    super(args);
    if (!(COMPARISONS as readonly string[]).includes(args.op)) throw new KerasLayerConfigError(`Compare op must be one of ${COMPARISONS.join(', ')}, got ${JSON.stringify(args.op)}`);
    if (args.scalar !== undefined && args.scalar !== null && !Number.isFinite(args.scalar)) throw new KerasLayerConfigError(`Compare scalar must be a finite number, got ${String(args.scalar)}`);
    this.op = args.op;
    this.scalar = args.scalar ?? null;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(inputShape);
  }

  // tfjs-layers gives a symbolic output the dtype of the layer's first input, and model execution
  // casts every computed value to its symbolic dtype: a bool result would reach Select as float32
  // 0/1 (which tf.where refuses). The symbolic output is marked bool so the value stays bool.
  override apply(inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const output = super.apply(inputs, kwargs);
    if (output instanceof tf.SymbolicTensor) (output as { dtype: tf.DataType }).dtype = 'bool';
    return output;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (this.scalar !== null) return COMPARE[this.op](single(inputs), tf.scalar(this.scalar, 'float32'));
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new KerasLayerConfigError(`Compare '${this.name}' without a scalar needs two inputs`);
      return COMPARE[this.op](inputs[0]!, inputs[1]!);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, scalar: this.scalar };
  }

  lower(ctx: LoweringContext): IrTensor {
    return compare(ctx, this);
  }
}

/** A number in a layer config; JSON has no Infinity/NaN, so those are kept as 'inf', '-inf', 'nan'. */
type ConfigNumber = number | 'inf' | '-inf' | 'nan';
const decodeNumber = (value: ConfigNumber | null | undefined): number | null =>
  value === null || value === undefined ? null : typeof value === 'number' ? value : ({ inf: Infinity, '-inf': -Infinity, nan: NaN } as const)[value];
const encodeNumber = (value: number | null): ConfigNumber | null => (value === null || Number.isFinite(value) ? value : Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf');

export interface SelectArgs extends NonNullable<LayerArgs> {
  /**
   * The condition's shape when it is a constant (the weight `condition`, 1 where true, 0 where
   * false, same rank as the output, broadcast-aligned to its Keras layout); null: the condition is
   * the first input (a bool tensor).
   */
  condition?: number[] | null;
  /** The value where the condition holds, when a number (-inf for masked_fill's usual fill); null: the next input. */
  whenTrue?: ConfigNumber | null;
  /** The value where it does not, when a number; null: the next input. */
  whenFalse?: ConfigNumber | null;
}

/** NumPy broadcasting of two shapes (sizes that differ must be 1 on one side). */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const [x, y] = [a[i - (rank - a.length)] ?? 1, b[i - (rank - b.length)] ?? 1];
    if (x !== y && x !== 1 && y !== 1) throw new KerasLayerConfigError(`Select: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/** where(condition, whenTrue, whenFalse); inputs in that order, leaving out what the config holds. */
export class Select extends tf.layers.Layer {
  static readonly className = 'Select';
  /** A constant condition (a mask buffer): 1 where true, 0 where false. */
  static readonly transferRule: LayerRule = { weights: [{ keras: 'condition', torch: 'condition', layout: IDENTITY, mask: true }] };
  readonly condition: number[] | null;
  readonly whenTrue: number | null;
  readonly whenFalse: number | null;
  private mask: tf.LayerVariable | null = null;

  constructor(args: SelectArgs) {
    super(args);
    const condition = args.condition ?? null;
    if (condition !== null && (!Array.isArray(condition) || condition.some((d) => !Number.isInteger(d) || d < 1)))
      throw new KerasLayerConfigError(`Select condition shape must be positive integers, got ${JSON.stringify(condition)}`);
    for (const [key, value] of [
      ['whenTrue', args.whenTrue],
      ['whenFalse', args.whenFalse],
    ] as const) {
      if (value !== undefined && value !== null && typeof value !== 'number' && !['inf', '-inf', 'nan'].includes(value))
        throw new KerasLayerConfigError(`Select ${key} must be a number, 'inf', '-inf', 'nan' or null, got ${JSON.stringify(value)}`);
    }
    this.condition = condition === null ? null : [...condition];
    this.whenTrue = decodeNumber(args.whenTrue);
    this.whenFalse = decodeNumber(args.whenFalse);
    const computed = (this.condition === null ? 1 : 0) + (this.whenTrue === null ? 1 : 0) + (this.whenFalse === null ? 1 : 0);
    if (computed === 0) throw new KerasLayerConfigError('Select needs at least one computed input');
  }

  override build(_inputShape?: tf.Shape | tf.Shape[]): void {
    if (this.condition !== null) this.mask = this.addWeight('condition', this.condition, 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    const all = this.condition === null ? shapes : [[null, ...this.condition.slice(1)], ...shapes];
    const rank = Math.max(...all.map((s) => s.length));
    return Array.from({ length: rank }, (_, axis) => {
      const sizes = all.map((s) => s[axis - (rank - s.length)]).filter((d) => d !== undefined && d !== 1);
      return axis === 0 ? (shapes[0]![0] ?? null) : (sizes.find((d) => d !== null) ?? (sizes.length > 0 ? null : 1));
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const queue = Array.isArray(inputs) ? [...inputs] : [inputs];
      const next = () => {
        const value = queue.shift();
        if (!value) throw new KerasLayerConfigError(`Select '${this.name}' got too few inputs`);
        return value;
      };
      const condition = this.mask ? tf.cast(this.mask.read(), 'bool') : next();
      const whenTrue = this.whenTrue === null ? next() : tf.scalar(this.whenTrue, 'float32');
      const whenFalse = this.whenFalse === null ? next() : tf.scalar(this.whenFalse, 'float32');
      const shape = [condition, whenTrue, whenFalse].reduce<number[]>((acc, t) => broadcastShape(acc, t.shape), []);
      return tf.where(tf.broadcastTo(condition, shape), tf.broadcastTo(whenTrue, shape), tf.broadcastTo(whenFalse, shape));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), condition: this.condition === null ? null : [...this.condition], whenTrue: encodeNumber(this.whenTrue), whenFalse: encodeNumber(this.whenFalse) };
  }

  lower(ctx: LoweringContext): IrTensor {
    return select(ctx, this);
  }
}
