// x (op) c or c (op) x with a constant c: a scalar from the PyTorch code (x * 0.5, 1 - x) held
// in the config, or a tensor (a parameter used directly in forward, a folded constant) held as
// the weight `value`, already broadcast-aligned to the input's Keras layout. tfjs-layers has no
// layer for arithmetic with a constant. Lowers to TFLite ADD / SUB / MUL / DIV.
import { tf } from '../../runtimes/tfjs/index.ts';
import { IDENTITY, type LayerRule } from '../transfer/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { constantArithmetic } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const ARITHMETIC_OPS = ['add', 'sub', 'mul', 'div'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];

export interface ConstantArithmeticArgs extends NonNullable<LayerArgs> {
  op: ArithmeticOp;
  /** Computes c (op) x instead of x (op) c. */
  reversed?: boolean;
  /** The constant, when it is a scalar. */
  scalar?: number | null;
  /** The constant's shape, when it is a tensor (the weight `value`, same rank as the input). */
  shape?: number[] | null;
}

const APPLY: Readonly<Record<ArithmeticOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>> = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div };

export class ConstantArithmetic extends tf.layers.Layer {
  static readonly className = 'ConstantArithmetic';
  /** The constant tensor the graph builder names (a parameter used in forward, or a folded constant). */
  static readonly transferRule: LayerRule = { weights: [{ keras: 'value', torch: 'value', layout: IDENTITY }] };
  readonly op: ArithmeticOp;
  readonly reversed: boolean;
  readonly scalar: number | null;
  readonly shape: number[] | null;
  private value: tf.LayerVariable | null = null;

  constructor(args: ConstantArithmeticArgs) {
    super(args);
    if (!(ARITHMETIC_OPS as readonly string[]).includes(args.op)) throw new KerasLayerConfigError(`ConstantArithmetic op must be one of ${ARITHMETIC_OPS.join(', ')}, got ${JSON.stringify(args.op)}`);
    const scalar = args.scalar ?? null;
    const shape = args.shape ?? null;
    if ((scalar === null) === (shape === null)) throw new KerasLayerConfigError(`ConstantArithmetic needs exactly one of scalar and shape`);
    if (shape !== null && (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)))
      throw new KerasLayerConfigError(`ConstantArithmetic shape must be positive integers, got ${JSON.stringify(shape)}`);
    this.op = args.op;
    this.reversed = Boolean(args.reversed);
    this.scalar = scalar;
    this.shape = shape === null ? null : [...shape];
  }

  override build(): void {
    if (this.shape !== null) this.value = this.addWeight('value', this.shape, 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.shape === null) return shape;
    if (this.shape.length !== shape.length)
      throw new KerasLayerConfigError(`ConstantArithmetic '${this.name}': constant of shape [${this.shape.join(', ')}] needs an input of rank ${this.shape.length}, got rank ${shape.length}`);
    return shape.map((dim, i) => (i === 0 ? dim : dim === 1 || dim === null ? (this.shape![i] === 1 ? dim : this.shape![i]!) : dim));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const c = this.value ? this.value.read() : tf.scalar(this.scalar!, 'float32');
      return this.reversed ? APPLY[this.op](c, x) : APPLY[this.op](x, c);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, reversed: this.reversed, scalar: this.scalar, shape: this.shape === null ? null : [...this.shape] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return constantArithmetic(ctx, this);
  }
}
