// Elementwise functions tfjs-layers has no layer for: sqrt, rsqrt, exp, log, erf, abs, a power
// with a constant exponent, truncation toward zero, and clamping to constant bounds (PyTorch's
// sqrt, rsqrt, exp, log, erf, abs, pow(x, p), x.long() read as a number, clamp(x, min, max)).
// Lower to the TFLite builtin of the same name (erf has none, trunc is a CAST to int32 and back:
// see src/tflite/lower/layers/sequence.ts).
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { clamp, mathFunction } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export const MATH_FUNCTIONS = ['sqrt', 'rsqrt', 'exp', 'log', 'erf', 'abs', 'trunc', 'pow'] as const;
export type MathFunctionName = (typeof MATH_FUNCTIONS)[number];

export interface MathFunctionArgs extends NonNullable<LayerArgs> {
  fn: MathFunctionName;
  /** The exponent of 'pow'. */
  exponent?: number | null;
}

const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);

const APPLY: Readonly<Record<Exclude<MathFunctionName, 'pow'>, (x: tf.Tensor) => tf.Tensor>> = {
  sqrt: tf.sqrt,
  rsqrt: tf.rsqrt,
  exp: tf.exp,
  // Toward zero, as PyTorch's .long(); the result stays float32 (integral values).
  trunc: (x) => tf.cast(tf.cast(x, 'int32'), 'float32'),
  log: tf.log,
  erf: tf.erf,
  abs: tf.abs,
};

export class MathFunction extends tf.layers.Layer {
  static readonly className = 'MathFunction';
  readonly fn: MathFunctionName;
  readonly exponent: number | null;

  constructor(args: MathFunctionArgs) {
    super(args);
    if (!(MATH_FUNCTIONS as readonly string[]).includes(args.fn)) throw new KerasLayerConfigError(`MathFunction fn must be one of ${MATH_FUNCTIONS.join(', ')}, got ${JSON.stringify(args.fn)}`);
    const exponent = args.exponent ?? null;
    if ((args.fn === 'pow') !== (typeof exponent === 'number' && Number.isFinite(exponent)))
      throw new KerasLayerConfigError(`MathFunction: a finite exponent is needed for 'pow' and only for it, got ${JSON.stringify(exponent)}`);
    this.fn = args.fn;
    this.exponent = exponent;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      if (this.fn !== 'pow') return APPLY[this.fn](x);
      // x * x is exact where pow(x, 2) may round differently (and TFLite writes it as MUL).
      return this.exponent === 2 ? tf.mul(x, x) : tf.pow(x, tf.scalar(this.exponent!, 'float32'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.fn, exponent: this.exponent };
  }

  lower(ctx: LoweringContext): IrTensor {
    return mathFunction(ctx, this);
  }
}

export interface ClampArgs extends NonNullable<LayerArgs> {
  min?: number | null;
  max?: number | null;
}

/** min(max(x, min), max) with either bound optional (PyTorch's clamp / clip). */
export class Clamp extends tf.layers.Layer {
  static readonly className = 'Clamp';
  readonly min: number | null;
  readonly max: number | null;

  constructor(args: ClampArgs) {
    super(args);
    this.min = args.min ?? null;
    this.max = args.max ?? null;
    if (this.min === null && this.max === null) throw new KerasLayerConfigError('Clamp needs at least one of min and max');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = single(inputs);
      if (this.min !== null) x = tf.maximum(x, tf.scalar(this.min, 'float32'));
      if (this.max !== null) x = tf.minimum(x, tf.scalar(this.max, 'float32'));
      return x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), min: this.min, max: this.max };
  }

  lower(ctx: LoweringContext): IrTensor {
    return clamp(ctx, this);
  }
}
